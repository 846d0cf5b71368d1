// safety-offline.js — with no connection: 999 and an SMS to the duty desk in one tap each (address and case number
// filled in), and a plain statement of what the server's own timer does regardless of this device.
import { clockTime } from "./safety-panic.js";

const $ = (id) => document.getElementById(id);
const hhmm = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });

export function smsBody(context) {
  const parts = [`PANIC from ${context?.name || "a fieldapp worker"}: I need help now.`];
  if (context?.address) parts.push(`Address: ${context.address}.`);
  if (context?.case_number) parts.push(`Case: ${context.case_number}.`);
  parts.push("Sent by text: fieldapp has no signal.");
  return parts.join(" ");
}

function timerText(context) {
  if (context?.session) {
    const s = context.session;
    if (s.state === "alert") {
      return "The server has already alerted your managers for this visit, and keeps alerting until one of them " +
        "takes it. That does not need this device.";
    }
    return "The server is still timing your visit, without needing this device: if you have not checked out, " +
      `it alerts your managers at ${hhmm(context.alert_at)} (your visit ends at ${hhmm(s.expected_end)}, then ` +
      `${context.grace_minutes} minutes' grace). A panic pressed here reaches them only once this device has a connection.`;
  }
  return "No safety session is running, so the server is not timing a visit: nobody will be alerted unless your " +
    "panic gets through. If you are in danger, call 999 now.";
}

// `context`: what was last known (kept encrypted on the device); `waiting`: panics saved but not yet sent.
export function renderOfflineHelp(visible, context, waiting = []) {
  const box = $("offline-help");
  box.hidden = !visible;
  if (!visible) return;
  const sms = $("sms-duty");
  const phone = context?.duty_phone || "";
  sms.hidden = !phone;
  $("sms-duty-missing").hidden = Boolean(phone);
  if (phone) {
    sms.href = `sms:${phone.replace(/[^0-9+]/g, "")}?body=${encodeURIComponent(smsBody(context))}`;
    sms.textContent = `Text the duty desk (${phone})`;
  }
  let text = timerText(context);
  if (waiting.length) {
    const first = waiting[0].pressed_at;
    text = `Your panic pressed at ${clockTime(first)} is saved on this device but has NOT reached your managers yet: ` +
      `it is sent the moment there is a connection. ${text}`;
  }
  $("server-timer").textContent = text;
}
