// The desks' business calendars, for the admin page: each desk's time zone, working
// hours per weekday and holidays, on which its SLA clocks count working time. The
// whole calendar is saved at once with the version read; the service checks it and
// names what is wrong.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorList, Field } from "../components";
import type { DeskCalendarInput, DeskCalendarsQuery, Urgency } from "../gql/graphql";

const DeskCalendars = graphql(`
  query DeskCalendars {
    deskCalendars { deskCode timeZone version aroundTheClock workingHours { weekday start end } holidays { date name } }
  }
`);
const UpdateDeskCalendar = graphql(`
  mutation UpdateDeskCalendar($desk: String!, $version: Int!, $input: DeskCalendarInput!) {
    updateDeskCalendar(deskCode: $desk, expectedVersion: $version, input: $input) { deskCode version }
  }
`);

const URGENCIES: Urgency[] = ["IMMEDIATE", "PRIORITY", "ROUTINE"];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
type Calendar = DeskCalendarsQuery["deskCalendars"][number];

export function DeskCalendarsSection() {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: DeskCalendars });
  return (
    <>
      <h2>{t("calendars.title")}</h2>
      <ErrorList error={result.error} />
      {result.data?.deskCalendars.map((calendar) => (
        <CalendarForm key={`${calendar.deskCode}-${calendar.version}`} calendar={calendar}
          onSaved={() => refetch({ requestPolicy: "network-only" })} />
      ))}
    </>
  );
}

// "08:00-12:30, 13:30-17:00" per weekday and "2026-12-25 Christmas Day" per line: text a
// person types; what does not parse is sent as typed, so the service's refusal says why.
function hoursText(calendar: Calendar, weekday: string): string {
  return calendar.workingHours.filter((p) => p.weekday === weekday).map((p) => `${p.start}-${p.end}`).join(", ");
}

function toInput(zone: string, hours: Record<string, string>, holidays: string, around: Urgency[]): DeskCalendarInput {
  return {
    timeZone: zone.trim(),
    workingHours: WEEKDAYS.flatMap((weekday) =>
      hours[weekday].split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
        const [start = "", end = ""] = part.split("-").map((s) => s.trim());
        return { weekday, start, end };
      }),
    ),
    holidays: holidays.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const [date = "", ...name] = line.split(/\s+/);
      return { date, name: name.join(" ") || null };
    }),
    aroundTheClock: around,
  };
}

function CalendarForm({ calendar, onSaved }: { calendar: Calendar; onSaved: () => void }) {
  const { t } = useTranslation();
  const [saved, save] = useMutation(UpdateDeskCalendar);
  const [zone, setZone] = useState(calendar.timeZone);
  const [hours, setHours] = useState<Record<string, string>>(
    Object.fromEntries(WEEKDAYS.map((weekday) => [weekday, hoursText(calendar, weekday)])),
  );
  const [holidays, setHolidays] = useState(calendar.holidays.map((h) => `${h.date} ${h.name ?? ""}`.trim()).join("\n"));
  const [around, setAround] = useState<Urgency[]>(calendar.aroundTheClock);
  const desk = calendar.deskCode;
  const id = (name: string) => `calendar-${desk}-${name}`;
  return (
    <details>
      <summary>{t("calendars.summary", { desk, zone: calendar.timeZone, version: calendar.version })}</summary>
      <form
        aria-label={t("calendars.formOf", { desk })}
        onSubmit={async (e) => {
          e.preventDefault();
          const answer = await save({ desk, version: calendar.version, input: toInput(zone, hours, holidays, around) });
          if (!answer.error) onSaved();
        }}
      >
        <Field id={id("zone")} label={t("calendars.timeZone")}>
          <input id={id("zone")} value={zone} onChange={(e) => setZone(e.target.value)} />
        </Field>
        {WEEKDAYS.map((weekday) => (
          <Field key={weekday} id={id(weekday)} label={t("calendars.hoursOf", { day: t(`calendars.day.${weekday}`) })}>
            <input id={id(weekday)} value={hours[weekday]} placeholder="08:00-12:30, 13:30-17:00"
              onChange={(e) => setHours({ ...hours, [weekday]: e.target.value })} />
          </Field>
        ))}
        <Field id={id("holidays")} label={t("calendars.holidays")}>
          <textarea id={id("holidays")} rows={4} value={holidays} onChange={(e) => setHolidays(e.target.value)} />
        </Field>
        <fieldset>
          <legend>{t("calendars.aroundTheClock")}</legend>
          {URGENCIES.map((urgency) => (
            <label key={urgency}>
              <input type="checkbox" checked={around.includes(urgency)}
                onChange={(e) => setAround(e.target.checked ? [...around, urgency] : around.filter((u) => u !== urgency))} />
              {t(`urgency.${urgency}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={saved.fetching}>{t("calendars.save", { desk })}</button>
        <ErrorList error={saved.error} />
      </form>
    </details>
  );
}
