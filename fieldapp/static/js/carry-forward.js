// carry-forward.js — what a new record starts from (issue 18): the child's latest records pulled for the caseload,
// decrypted on this device. A map continues the latest map with every answer marked as carried (carried.js);
// ratings start with the same people, their earlier scores shown for comparison and never pre-filled; a visit is
// offered the previous visit's location and people present in one tap.

import { listRecords } from "./store.js";

const DATE_OF = { visit: "visit_date", sos_map: "mapped_on", safety_rating: "rated_on" };
const MAP_TEXT = ["complicating_factors", "existing_strengths", "existing_safety"];
const MAP_GROUPS = ["harm_statements", "danger_statements", "next_steps"];

/** The newest pulled record of `recordType` for the child (by the date it is about), or null. */
export async function latestPulled(childId, recordType, { except = null } = {}) {
  const on = (record) => String(record.body?.[DATE_OF[recordType]] || record.occurred_on || "");
  const found = (await listRecords()).map(({ record }) => record)
    .filter((record) => record.child_id === childId && record.record_type === recordType && record.body
      && record.record_id !== except)
    .sort((a, b) => on(b).localeCompare(on(a)) || (b.revision || 0) - (a.revision || 0));
  return found.length ? { record: found[0], on: on(found[0]) } : null;
}

/** A new map's answers from the latest map: each danger statement stays whole (its safety goal with it). */
export function carriedMapAnswers(previous) {
  const body = previous.record.body;
  const answers = { _carried: {} };
  for (const field of MAP_GROUPS) {
    if (Array.isArray(body[field]) && body[field].length) {
      answers[field] = body[field].map((item) => ({ ...structuredClone(item), _carried: previous.on }));
    }
  }
  for (const field of MAP_TEXT) {
    if (body[field]) {
      answers[field] = body[field];
      answers._carried[field] = previous.on;
    }
  }
  if (!Object.keys(answers._carried).length) delete answers._carried;
  return answers;
}

/** New ratings with the same people (and the anchors they were given); the old score only as `_previous`. */
export function sameRaters(previous) {
  return (previous.record.body.ratings || []).map((rating) => {
    const person = structuredClone(rating);
    const score = person.score;
    delete person.score; // today's score is chosen again, never copied
    delete person.why;
    return { ...person, _previous: { score, on: previous.on } };
  });
}

/** Copy the previous visit's location (if none typed yet) and anyone present not already listed. */
export function sameAsLastVisit(body, previousBody) {
  const next = structuredClone(body);
  const copied = [];
  if (!next.location && previousBody.location) {
    next.location = previousBody.location;
    copied.push("location");
  }
  const listed = new Set((next.others_present || []).map((person) => person.name.trim().toLowerCase()));
  const added = (previousBody.others_present || []).filter((person) => !listed.has(person.name.trim().toLowerCase()));
  if (added.length) {
    next.others_present = [...(next.others_present || []), ...structuredClone(added)];
    copied.push(`${added.length} ${added.length === 1 ? "person" : "people"} present`);
  }
  return { body: next, copied };
}
