// Attachments in the compose box: a preview of each chosen file (a thumbnail for images)
// with a button to remove it before sending.
(function () {
  "use strict";

  function sizeOf(bytes) {
    return bytes < 1024 * 1024
      ? Math.max(1, Math.round(bytes / 1024)) + " KB"
      : (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function render(input) {
    var list = input.form && input.form.querySelector(".attach-previews");
    if (!list) return;
    list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file, index) {
      var item = document.createElement("li");
      item.className = "attach-preview";
      if (file.type.indexOf("image/") === 0) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = "";
        item.appendChild(img);
      } else {
        var icon = document.createElement("span");
        icon.className = "attach-icon";
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = "📎";
        item.appendChild(icon);
      }
      var name = document.createElement("span");
      name.className = "attach-name";
      name.textContent = file.name + " · " + sizeOf(file.size);
      item.appendChild(name);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "attach-remove";
      remove.dataset.index = index;
      remove.setAttribute("aria-label", "Remove " + file.name);
      remove.textContent = "×";
      item.appendChild(remove);
      list.appendChild(item);
    });
    list.hidden = input.files.length === 0;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".attach-input")) render(event.target);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".attach-remove");
    if (!button) return;
    var input = button.form && button.form.querySelector(".attach-input");
    if (!input) return;
    var keep = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (file, index) {
      if (index !== Number(button.dataset.index)) keep.items.add(file);
    });
    input.files = keep.files;
    render(input);
    input.focus();
  });
})();
