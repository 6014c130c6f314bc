// Read an iCalendar file on stdin with ical.js (Thunderbird's parser); print what it understood as JSON.
// TZIDs are resolved from the file's own VTIMEZONE: ical.js knows no zones of its own here.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const time = (t) => ({
  local: [t.year, t.month, t.day, t.hour, t.minute],
  tzid: t.zone ? t.zone.tzid : null,
  utcOffsetSeconds: t.utcOffset(),
  unix: t.toUnixTime(),
});
const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
    start: time(event.startDate),
    end: time(event.endDate),
  };
});
const value = (name) => {
  const v = root.getFirstPropertyValue(name);
  return v === null ? null : v.toString();
};
console.log(JSON.stringify({
  method: value("method"),
  name: value("name"),
  calname: value("x-wr-calname"),
  refresh: value("refresh-interval"),
  ttl: value("x-published-ttl"),
  events,
}));
