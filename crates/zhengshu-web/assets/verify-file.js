// The upload form of /verify/document: a file dropped on the drop zone is
// put in the file input and the form is sent, as a click on the button
// would. Without this script the input and the button do the same.
(function () {
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("file");
  var form = document.getElementById("file-form");
  if (!zone || !input || !form) return;
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) {
      e.preventDefault();
      zone.classList.add("dragging");
    });
  });
  zone.addEventListener("dragleave", function () {
    zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      form.submit();
    }
  });
})();
