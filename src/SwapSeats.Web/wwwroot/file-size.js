// A ticket file over the limit is refused before it is sent: the seller hears why at once, not after a long upload.
(function () {
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      const file = input.files && input.files[0];
      const max = parseInt(input.dataset.maxBytes, 10);
      input.setCustomValidity(file && file.size > max ? "The file is larger than 2 MiB: attach a smaller PDF or image." : "");
      input.reportValidity();
    });
  });
})();
