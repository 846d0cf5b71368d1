// home.js — what only the unlocked app needs: the home screen's lists, recording (whose editor loads later still),
// sync and its notices, amend, revocation's sealed copies, the status strip and the account menu. app.js loads it
// at the first unlock or setup (or when a revocation or wipe must be handled), not on first load of /app: the
// sign-in, PIN and unlock screens need none of it. Initialised once, in the order boot used to follow.

import { initAccount } from "./account.js";
import { initAmend } from "./amend.js";
import { initCaseloadList, showCaseload } from "./caseload-list.js";
import { initDraftLifecycle, purgeRemoved, rememberDraftSettings } from "./draft-lifecycle.js";
import { cacheDefinitions } from "./record-drafts.js";
import {
  flushEditor, initRecording, loadEditor, openVisit, refreshUnsynced, renderDraftList, renderOutboxList,
  setAfterEditorLoad,
} from "./records-home.js";
import { initRevocation, releaseSealedDrafts, sealDraftsAndWipe, showWipeDetail } from "./revocation.js";
import { resumeEditing } from "./resume.js";
import { initStatusStrip } from "./status-strip.js";
import { loadSnapshot } from "./store.js";
import { initSyncUi } from "./sync-ui.js";
import { requestSync, startSync } from "./sync.js";

export {
  cacheDefinitions, flushEditor, loadEditor, openVisit, purgeRemoved, refreshUnsynced, releaseSealedDrafts,
  rememberDraftSettings, renderDraftList, renderOutboxList, requestSync, resumeEditing, sealDraftsAndWipe,
  showCaseload, showWipeDetail,
};

export async function initHome({ backHome, afterEditorLoad }) {
  // The record editor saves as the worker types, and at once before a lock, on hiding and on pagehide; its
  // before-lock flush is registered before revocation's sealed copies, so those hold the last words.
  initRecording({ backHome });
  setAfterEditorLoad(afterEditorLoad);
  initSyncUi();
  initAmend();
  initRevocation();
  startSync();
  document.addEventListener("fieldapp:caseload-changed", async () => showCaseload(await loadSnapshot("caseload")));
  initCaseloadList();
  initAccount();
  initDraftLifecycle();
  await initStatusStrip();
  await refreshUnsynced();
}
