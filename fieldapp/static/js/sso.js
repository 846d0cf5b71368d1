// sso.js — sign in again through the council's identity provider without leaving the page: the provider's pages
// open in a popup window, and this page waits until the server says the session is back. The popup's last page
// (oidc-done.js) announces it on a BroadcastChannel; the opener link itself is cut on the way through the
// provider (Cross-Origin-Opener-Policy), so the app also polls /api/session, which works whatever happened.
import { sessionStatus } from "./api.js";

const CHANNEL = "fieldapp-sign-in";

export function signInThroughProvider(start, { everyMs = 1500, giveUpMs = 10 * 60 * 1000 } = {}) {
  const popup = window.open(`${start}?popup=1`, "fieldapp-sign-in", "popup,width=520,height=720");
  if (!popup) {
    return Promise.reject(new Error("The sign-in window was blocked. Allow pop-ups for fieldapp, then try again."));
  }
  return new Promise((resolve, reject) => {
    const channel = new BroadcastChannel(CHANNEL);
    const began = Date.now();
    let timer = null;
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      channel.close();
      if (error) reject(error); else resolve();
    };
    const check = async () => {
      try {
        if ((await sessionStatus()).authenticated) settle();
      } catch (error) {
        // Offline for a moment: the next tick asks again; only the overall time limit gives up.
      }
      if (Date.now() - began > giveUpMs) settle(new Error("Signing in took too long. Please try again."));
    };
    channel.onmessage = (event) => { if (event.data?.signedIn) check(); };
    timer = setInterval(check, everyMs);
  });
}
