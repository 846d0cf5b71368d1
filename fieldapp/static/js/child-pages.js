// child-pages.js — the pages of the child's own mode: one per house, "what I want my worker to know", a drawing
// space, reading it back together, and the worker's PIN to leave. Builds DOM only; child-mode.js owns the flow.

import { drawingSpace } from "./child-canvas.js";
import { el } from "./ui.js";

// Picture prompts: a word the child can add with one tap. The picture is decoration (aria-hidden); the word
// is the button's name, so a screen reader says exactly what will be written.
const PROMPTS = {
  worries: [["😠", "Shouting"], ["😨", "Feeling scared"], ["😢", "Feeling sad"], ["🏫", "School"],
    ["🌙", "Bedtime"], ["🚪", "Being on my own"]],
  good_things: [["🧒", "My friends"], ["⚽", "Playing"], ["🐶", "My pet"], ["🍕", "Food I like"],
    ["🏠", "My home"], ["❤️", "My family"]],
  dreams: [["😊", "Being happy"], ["🛡️", "Feeling safe"], ["🏖️", "A holiday"], ["🎨", "Making things"],
    ["👪", "Seeing my family"], ["🎓", "A job I like"]],
  for_worker: [["👂", "Please listen"], ["🙂", "I am OK"], ["😟", "I am worried"], ["🏠", "Where I live"],
    ["🤝", "Who I want to see"], ["❓", "I have a question"]],
};

export const STEPS = [
  { id: "worries", icon: "🌧️", title: "My house of worries", short: "Worries", ask: "What worries you?" },
  { id: "good_things", icon: "☀️", title: "My house of good things", short: "Good things", ask: "What is good?" },
  { id: "dreams", icon: "🌈", title: "My house of dreams", short: "Dreams", ask: "What do you wish for?" },
  { id: "for_worker", icon: "💬", title: "What I want my worker to know", short: "For my worker",
    ask: "What do you want your worker to know?" },
  { id: "drawing", icon: "🖍️", title: "My drawing", short: "Draw" },
  { id: "review", icon: "📖", title: "Read it together", short: "Read it together" },
];

const titled = (step, level = "h2") => el(level, { id: `child-${step.id}-title`, tabindex: "-1" },
  el("span", { "aria-hidden": "true", className: "child-emoji", text: step.icon }), ` ${step.title}`);

const addWord = (text, word) => (text.trim() ? `${text.replace(/\s+$/, "")}, ${word.toLowerCase()}` : word);

function wordsPage(step, work, save) {
  const id = `child-text-${step.id}`;
  const box = el("textarea", { id, className: "child-text", rows: "5", "aria-describedby": `${id}-hint` });
  box.value = work[step.id];
  box.addEventListener("input", () => { work[step.id] = box.value; save(); });
  const promptTitle = `${id}-prompts`;
  const prompts = PROMPTS[step.id].map(([icon, word]) => el("button", {
    type: "button", className: "child-prompt",
    onClick: () => { box.value = addWord(box.value, word); box.dispatchEvent(new Event("input")); },
  }, el("span", { "aria-hidden": "true", className: "child-emoji", text: icon }), el("span", { text: word })));
  return [titled(step),
    el("label", { for: id, className: "child-label", text: step.ask }),
    el("p", { id: `${id}-hint`, className: "child-hint", text: "Write it in your own words. Nobody will mark it." }),
    box,
    el("p", { id: promptTitle, className: "child-hint", text: "Or tap a picture to add its word:" }),
    el("div", { className: "child-prompts", role: "group", "aria-labelledby": promptTitle }, ...prompts)];
}

function drawingPage(step, work, save) {
  return [titled(step),
    el("p", { className: "child-hint", text: "Draw anything you like with your finger. Tap a colour to change it." }),
    drawingSpace({ picture: work.drawing, onDrawn: (picture) => { work.drawing = picture; save(); } })];
}

function reviewPage(step, work, save, { leave }) {
  const parts = STEPS.filter((s) => s.ask).map((s) => el("section", { className: "child-review-part",
    "aria-labelledby": `child-review-${s.id}` },
  el("h3", { id: `child-review-${s.id}`, text: s.title }),
  el("p", { className: work[s.id].trim() ? "child-words" : "child-hint",
    text: work[s.id].trim() ? work[s.id] : "Nothing here yet." })));
  const picture = work.drawing
    ? el("img", { className: "child-review-drawing", src: work.drawing, alt: "The drawing you made" })
    : el("p", { className: "child-hint", text: "No drawing yet." });
  const done = el("p", { id: "child-read-status", className: "child-hint", role: "status",
    text: work.read_back ? "You read it together." : "" });
  const read = el("button", { type: "button", id: "child-read-together", className: "child-main-action",
    text: "We read it together", onClick: () => {
      work.read_back = true;
      save();
      done.textContent = "You read it together.";
    } });
  return [titled(step),
    el("p", { className: "child-hint", text: "Your worker reads everything back with you. You can still change it." }),
    ...parts,
    el("section", { className: "child-review-part", "aria-labelledby": "child-review-drawing" },
      el("h3", { id: "child-review-drawing", text: "My drawing" }), picture),
    read, done,
    el("button", { type: "button", id: "child-give-back", className: "child-main-action",
      text: "Give the tablet back to my worker", onClick: leave })];
}

// The worker's page: the PIN, checked by the vault (wrong tries count as on the lock screen).
export function leavePage({ submit, stay }) {
  const error = el("p", { id: "child-leave-error", className: "error-message", role: "alert", hidden: "" });
  const pin = el("input", { id: "child-pin", type: "password", autocomplete: "current-password",
    "aria-describedby": "child-leave-hint" });
  const form = el("form", { id: "child-leave-form", novalidate: "" },
    el("label", { for: "child-pin", className: "child-label", text: "Worker’s PIN" }),
    el("p", { id: "child-leave-hint", className: "child-hint",
      text: "What the child made goes into this visit’s records, marked as their own words." }),
    pin, error,
    el("div", { className: "child-nav" },
      el("button", { type: "submit", id: "child-leave-submit", className: "child-main-action",
        text: "Leave the child’s space" }),
      el("button", { type: "button", id: "child-stay", className: "child-secondary",
        text: "Back to the child’s space", onClick: stay })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(pin.value, (message) => {
      pin.value = "";
      error.textContent = message;
      error.hidden = !message;
      pin.focus();
    });
  });
  return [titled({ id: "leave", icon: "🔒", title: "For your worker" }), form];
}

export function stepPage(step, work, save, actions) {
  if (step.id === "drawing") return drawingPage(step, work, save);
  if (step.id === "review") return reviewPage(step, work, save, actions);
  return wordsPage(step, work, save);
}
