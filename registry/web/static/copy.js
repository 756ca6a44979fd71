// Copy buttons for the commands on the pages: an enhancement only. Without JavaScript the
// commands are plain selectable text; with it, each gets a button that copies it exactly.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".copyable")) {
    const code = box.querySelector("code");
    if (!code) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the command: " + code.textContent);
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    const done = (message) => {
      button.textContent = message;
      status.textContent = message;
      setTimeout(() => { button.textContent = "Copy"; status.textContent = ""; }, 2000);
    };
    button.addEventListener("click", () => {
      const text = code.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(() => done("Copied"), () => select(code, done));
      } else {
        select(code, done);
      }
    });
    box.append(button, status);
  }
});

// Where the clipboard cannot be written (plain http on a non-local host): select the text so
// that Ctrl+C / Cmd+C copies it.
function select(code, done) {
  const range = document.createRange();
  range.selectNodeContents(code);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  done("Selected: press Ctrl+C");
}
