// Beside the compose box: the saved-reply picker (a button, or "/" in the empty box) and a
// small emoji picker. A reply arrives merged with the contact's values; a placeholder the
// contact has no value for is asked for here, before the reply fills the box (and, in an
// e-mail conversation, its subject the subject field).
(function () {
  "use strict";

  var EMOJI = [
    "😊", "😀", "😂", "🙂", "😉", "😍", "🤔", "😅", "😢", "😮",
    "👍", "👎", "👏", "🙏", "👋", "💪", "🤝", "✌️", "👌", "🙌",
    "❤️", "💙", "🎉", "✅", "❌", "⭐", "🔥", "✨", "📦", "🚚",
    "📅", "⏰", "📞", "💬", "📧", "💳", "🛒", "🎁", "☀️", "☕"
  ];

  var chosen = null; // the reply button whose missing fields are being asked for

  function compose() { return document.getElementById("compose"); }
  function box() { return document.getElementById("id_body"); }
  function subjectField() { return document.getElementById("id_subject"); }

  function setOpen(panel, toggle, open) {
    if (!panel) return;
    panel.hidden = !open;
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function openReplies() {
    var picker = document.getElementById("reply-picker");
    if (!picker) return;
    setOpen(picker, document.querySelector(".reply-picker-toggle"), true);
    showChoices(picker);
    var search = document.getElementById("reply-search");
    search.focus();
    if (window.htmx) window.htmx.trigger(search, "reply-picker-open");
  }

  function closeReplies() {
    setOpen(document.getElementById("reply-picker"), document.querySelector(".reply-picker-toggle"), false);
    chosen = null;
  }

  function showChoices(picker) {
    picker.querySelector(".reply-results").hidden = false;
    picker.querySelector(".reply-ask").hidden = true;
  }

  function fill(text, subject) {
    var body = box();
    if (!body) return;
    var field = subjectField();
    if (field && subject) field.value = subject;
    body.value = text;
    body.dispatchEvent(new Event("input", { bubbles: true }));
    closeReplies();
    body.focus();
  }

  function placeholder(key) {
    return new RegExp("\\{\\{\\s*" + key.replace(/[^A-Za-z0-9_]/g, "") + "\\s*\\}\\}", "gi");
  }

  function ask(button) {
    var picker = document.getElementById("reply-picker");
    var ask = picker.querySelector(".reply-ask");
    var fields = ask.querySelector(".reply-ask-fields");
    chosen = button;
    fields.textContent = "";
    ask.querySelector(".reply-ask-title").textContent =
      "“" + button.dataset.title + "” needs what this contact has no value for:";
    button.querySelectorAll(".reply-missing-field").forEach(function (missing, i) {
      var id = "reply-ask-" + i;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = missing.dataset.label;
      var input = document.createElement("input");
      input.type = "text";
      input.id = id;
      input.dataset.key = missing.dataset.key;
      input.className = "reply-ask-input";
      var row = document.createElement("div");
      row.className = "field";
      row.appendChild(label);
      row.appendChild(input);
      fields.appendChild(row);
    });
    ask.querySelector(".reply-ask-error").hidden = true;
    picker.querySelector(".reply-results").hidden = true;
    ask.hidden = false;
    var first = fields.querySelector("input");
    if (first) first.focus();
  }

  function insertAsked() {
    var picker = document.getElementById("reply-picker");
    if (!chosen || !picker) return;
    var text = chosen.dataset.text;
    var subject = chosen.dataset.subject || "";
    var inputs = picker.querySelectorAll(".reply-ask-input");
    var complete = true;
    inputs.forEach(function (input) {
      if (!input.value.trim()) complete = false;
      text = text.replace(placeholder(input.dataset.key), input.value.trim());
      subject = subject.replace(placeholder(input.dataset.key), input.value.trim());
    });
    if (!complete) {
      picker.querySelector(".reply-ask-error").hidden = false;
      return;
    }
    fill(text, subject);
  }

  function insertEmoji(emoji) {
    var body = box();
    if (!body) return;
    var start = body.selectionStart || 0;
    var end = body.selectionEnd || 0;
    body.value = body.value.slice(0, start) + emoji + body.value.slice(end);
    body.selectionStart = body.selectionEnd = start + emoji.length;
    body.dispatchEvent(new Event("input", { bubbles: true }));
    body.focus();
  }

  function toggleEmoji() {
    var panel = document.getElementById("emoji-picker");
    if (!panel) return;
    if (!panel.childElementCount) {
      EMOJI.forEach(function (emoji) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "emoji";
        b.textContent = emoji;
        b.setAttribute("aria-label", "Insert " + emoji);
        panel.appendChild(b);
      });
    }
    setOpen(panel, document.querySelector(".emoji-toggle"), panel.hidden);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    // The toggle and the choices are links to the picker's page, for browsers without
    // JavaScript; here the picker opens in place instead.
    if (target.closest(".reply-picker-toggle")) {
      event.preventDefault();
      var picker = document.getElementById("reply-picker");
      if (picker && picker.hidden) openReplies(); else closeReplies();
    } else if (target.closest(".reply-choice")) {
      event.preventDefault();
      var button = target.closest(".reply-choice");
      if (button.querySelector(".reply-missing-field")) ask(button);
      else fill(button.dataset.text, button.dataset.subject);
    } else if (target.closest(".reply-ask-insert")) {
      insertAsked();
    } else if (target.closest(".reply-ask-cancel")) {
      showChoices(document.getElementById("reply-picker"));
    } else if (target.closest(".emoji-toggle")) {
      toggleEmoji();
    } else if (target.closest("#emoji-picker .emoji")) {
      insertEmoji(target.closest(".emoji").textContent);
    }
  });

  document.addEventListener("keydown", function (event) {
    var body = box();
    if (event.target === body && event.key === "/" && !body.value) {
      event.preventDefault();
      openReplies();
    } else if (event.key === "Escape" && compose() && compose().contains(event.target)) {
      closeReplies();
      setOpen(document.getElementById("emoji-picker"), document.querySelector(".emoji-toggle"), false);
    } else if (event.key === "Enter" && event.target.classList.contains("reply-ask-input")) {
      event.preventDefault();
      insertAsked();
    } else if (event.key === " " && event.target.classList.contains("reply-picker-toggle")) {
      event.preventDefault(); // a link with the role of a button: Space presses it too
      event.target.click();
    } else if (event.key === "Enter" && event.target.id === "reply-search") {
      event.preventDefault(); // Enter in the search must not send the message
    }
  });
})();
