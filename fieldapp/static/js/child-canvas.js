// child-canvas.js — a drawing space for finger, stylus or mouse (pointer events). The picture is a PNG data URL
// handed to `onDrawn` after every stroke; child-record.js turns it into an encrypted attachment.

import { el } from "./ui.js";

const WIDTH = 900;
const HEIGHT = 700;
export const COLOURS = [
  { name: "Black", value: "#1b1b1b" }, { name: "Blue", value: "#0b57d0" }, { name: "Red", value: "#b3261e" },
  { name: "Green", value: "#00703c" }, { name: "Purple", value: "#6a1b9a" }, { name: "Orange", value: "#b35900" },
];

function blank(context) {
  context.fillStyle = "#ffffff"; // a white page, not a transparent one, so the picture reads the same anywhere
  context.fillRect(0, 0, WIDTH, HEIGHT);
}

// `picture`: a data URL to start from (the child's drawing so far, after a reload), or null.
export function drawingSpace({ picture = null, onDrawn }) {
  const canvas = el("canvas", { id: "child-canvas", className: "child-canvas", width: String(WIDTH),
    height: String(HEIGHT), role: "img", "aria-label": "Drawing space: draw with your finger" });
  const context = canvas.getContext("2d");
  blank(context);
  if (picture) {
    const image = new Image();
    image.onload = () => context.drawImage(image, 0, 0, WIDTH, HEIGHT);
    image.src = picture;
  }
  let colour = COLOURS[0].value;
  let last = null;
  let drew = false;

  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * WIDTH, y: ((event.clientY - box.top) / box.height) * HEIGHT };
  };
  const line = (from, to) => {
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.lineWidth = 10;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  };
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    last = point(event);
    line(last, { x: last.x + 0.1, y: last.y + 0.1 }); // a tap leaves a dot
    drew = true;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    line(last, next);
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = null;
    if (drew) onDrawn(canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("pointerleave", end);

  const swatches = COLOURS.map((c, index) => el("button", {
    type: "button", className: "child-swatch", "aria-pressed": index === 0 ? "true" : "false",
    "data-colour": c.value, text: c.name,
    onClick: (event) => {
      colour = c.value;
      for (const other of swatches) other.setAttribute("aria-pressed", String(other === event.currentTarget));
    },
  }));
  for (const swatch of swatches) swatch.style.setProperty("--swatch", swatch.dataset.colour);
  const clear = el("button", { type: "button", className: "child-secondary", text: "Start the drawing again",
    onClick: () => { blank(context); drew = false; onDrawn(null); } });
  return el("div", { className: "child-drawing" },
    el("div", { className: "child-swatches", role: "group", "aria-label": "Colours" }, ...swatches),
    canvas, clear);
}
