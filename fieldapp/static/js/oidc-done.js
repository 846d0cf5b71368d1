// oidc-done.js — the sign-in popup's last page: tell the field app (same origin) that the session is back, then
// close. The opener link is cut on the way through the provider (Cross-Origin-Opener-Policy), so the message goes
// by BroadcastChannel; the app also polls /api/session in case this never arrives.
const channel = new BroadcastChannel("fieldapp-sign-in");
channel.postMessage({ signedIn: true });
channel.close();
window.close();
