// Selling: typing in the event search picks the matching event in the list; a new event's fields show only when no
// event is picked; the price hint says, as the seller types, whether the price is within the face value.
(function () {
  const form = document.getElementById("sell-form");
  if (!form) return;
  const select = form.querySelector("select[name=EventId]");
  const search = document.getElementById("event-search");
  const fresh = document.getElementById("new-event");
  const face = form.querySelector("input[name=FaceValue]");
  const price = form.querySelector("input[name=Price]");
  const hint = document.getElementById("price-hint");
  const original = hint.textContent;
  function toggle() { fresh.hidden = select.value !== ""; }
  search.addEventListener("input", function () {
    const match = Array.from(document.querySelectorAll("#event-choices option")).find(o => o.value === search.value);
    if (match) { select.value = match.dataset.id; toggle(); }
  });
  select.addEventListener("change", toggle);
  function number(input) { return /^\d+(\.\d{1,2})?$/.test(input.value.trim()) ? parseFloat(input.value) : NaN; }
  function cap() {
    const f = number(face), p = number(price);
    if (isNaN(f) || isNaN(p)) { hint.textContent = original; hint.classList.remove("field-error"); return; }
    const over = p > f;
    hint.textContent = over ? "Above the face value of $" + f.toFixed(2) + ": lower the price to at most that." : "Within the face value of $" + f.toFixed(2) + ".";
    hint.classList.toggle("field-error", over);
  }
  face.addEventListener("input", cap);
  price.addEventListener("input", cap);
  toggle();
  cap();
})();
