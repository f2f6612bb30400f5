/* Converse web chat: draws the chat's frame on this page. The chat itself runs inside the
   frame, served by Converse, so this page's styles and policies are not touched. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-website]");
  if (!script || window.__converseChat) return;
  window.__converseChat = true;
  var base = new URL(script.src).origin;
  var key = script.getAttribute("data-website");
  var frame = document.createElement("iframe");
  var hash = "page=" + encodeURIComponent(location.href) +
    (location.hash === "#converse-chat" ? "&open=1" : "");
  frame.src = base + "/webchat/" + encodeURIComponent(key) + "/frame/#" + hash;
  frame.title = "Chat with us";
  frame.setAttribute("allow", "");
  var s = frame.style;
  s.position = "fixed"; s.right = "0"; s.bottom = "0"; s.border = "0"; s.zIndex = "2147483000";
  s.background = "transparent"; s.colorScheme = "light";
  var open = false;
  function size() {
    var phone = window.innerWidth < 520;
    if (open && phone) { s.width = "100%"; s.height = "100%"; s.maxHeight = ""; }
    else if (open) { s.width = "420px"; s.height = "680px"; s.maxHeight = "100%"; }
    else { s.width = "96px"; s.height = "96px"; s.maxHeight = ""; }
  }
  size();
  window.addEventListener("resize", size);
  // Only when the browser denies the frame storage of its own: the visitor's token, kept
  // in this website's storage for the frame.
  var keepKey = "converse-chat:" + key;
  function kept() { try { return localStorage.getItem(keepKey); } catch (e) { return null; } }
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== base || !event.data) return;
    var data = event.data;
    if (data.type === "converse-chat") { open = !!data.open; size(); }
    if (data.type === "converse-chat-ask") {
      frame.contentWindow.postMessage({ type: "converse-chat-kept", token: kept() }, base);
    }
    if (data.type === "converse-chat-keep" && typeof data.token === "string") {
      try { localStorage.setItem(keepKey, data.token); } catch (e) { /* private mode */ }
    }
  });
  (document.body || document.documentElement).appendChild(frame);
})();
