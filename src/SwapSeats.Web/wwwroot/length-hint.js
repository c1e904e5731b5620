// A field with data-max-chars shows how many characters are left while typing, and says when the text is too long,
// instead of cutting it off silently (the server refuses it with the same limit).
(function () {
  document.querySelectorAll("[data-max-chars]").forEach(function (input) {
    const max = parseInt(input.getAttribute("data-max-chars"), 10);
    const hint = document.getElementById(input.getAttribute("aria-describedby"));
    if (!hint) return;
    function update() {
      const left = max - input.value.length;
      hint.textContent = left >= 0 ? left + " of " + max + " characters left." : "Too long by " + (-left) + " characters (at most " + max + ").";
      hint.classList.toggle("field-error", left < 0);
      input.setCustomValidity(left < 0 ? "At most " + max + " characters." : "");
    }
    input.addEventListener("input", update);
    update();
  });
})();
