// The insights page: who does what where (3W/4W: the organisations engaged per country,
// product, client and status, and a summary per country), and the tabs of
// coordination.tsx (SLA time per party, the cost of coordination, demand without
// supply). Every role opens the same page; the insights service gives each caller its
// own part (HQ the whole picture).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { PartyKind, WhoDoesWhatFilter } from "../gql/graphql";
import { CsvDownload, ErrorList, Field, Loading, Status } from "../components";
import { formatDate, formatNumber } from "../format";
import { Pager } from "./requests";
import { CostOfCoordination, DemandWithoutSupplyView, SlaTimePerParty } from "./coordination";

const PAGE = 50;
const KINDS: PartyKind[] = ["DESK", "PROVIDER", "PARTNER"];

const WhoDoesWhat = graphql(`
  query WhoDoesWhat($filter: WhoDoesWhatFilter, $first: Int!, $offset: Int!) {
    whoDoesWhat(filter: $filter, first: $first, offset: $offset) {
      total
      hasNextPage
      items { country region partyKind party orgName productCode clientCode activity status since requests }
    }
    whoDoesWhatByCountry(filter: $filter) {
      country region engagements openEngagements organisations products
    }
  }
`);

/** The same filter as the export's query parameters (the service's REST names). */
function exportParams(filter: WhoDoesWhatFilter): Record<string, string> {
  const params: Record<string, string> = {};
  if (filter.country) params.country = filter.country;
  if (filter.partyKind) params.party_kind = filter.partyKind.toLowerCase();
  if (filter.start) params.start = filter.start;
  if (filter.end) params.end = filter.end;
  return params;
}

/** The filter the form describes, only the fields given (a month's start or end). */
function filterOf(country: string, kind: PartyKind | "", start: string, end: string): WhoDoesWhatFilter {
  const filter: WhoDoesWhatFilter = {};
  if (/^[A-Z]{3}$/.test(country)) filter.country = country;
  if (kind) filter.partyKind = kind;
  if (start) filter.start = `${start}-01T00:00:00Z`;
  if (end) filter.end = `${end}-01T00:00:00Z`;
  return filter;
}

const TABS = [
  { key: "who", label: "coordination.tabWho", title: "insights.title", View: WhoDoesWhat3W },
  { key: "sla", label: "coordination.tabSla", title: "coordination.slaTitle", View: SlaTimePerParty },
  { key: "cost", label: "coordination.tabCost", title: "coordination.costTitle", View: CostOfCoordination },
  { key: "demand", label: "coordination.tabDemand", title: "coordination.demandTitle", View: DemandWithoutSupplyView },
] as const;

export function WhoDoesWhatPage() {
  const { t } = useTranslation();
  const [selected, setSelected] = useState<(typeof TABS)[number]["key"]>("who");
  const tab = TABS.find((candidate) => candidate.key === selected) ?? TABS[0];
  return (
    <section>
      <h1>{t(tab.title)}</h1>
      <div role="tablist" aria-label={t("coordination.tabsLabel")} className="tabs">
        {TABS.map((candidate) => (
          <button key={candidate.key} type="button" role="tab" id={`tab-${candidate.key}`}
            aria-selected={candidate.key === selected} aria-controls={`panel-${candidate.key}`}
            onClick={() => setSelected(candidate.key)}>
            {t(candidate.label)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab.key}`} aria-labelledby={`tab-${tab.key}`}>
        <tab.View />
      </div>
    </section>
  );
}

function WhoDoesWhat3W() {
  const { t, i18n } = useTranslation();
  const [country, setCountry] = useState("");
  const [kind, setKind] = useState<PartyKind | "">("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [offset, setOffset] = useState(0);
  const filter = filterOf(country, kind, start, end);
  const [result] = useQuery({ query: WhoDoesWhat, variables: { filter, first: PAGE, offset } });
  const page = result.data?.whoDoesWhat;
  const countries = result.data?.whoDoesWhatByCountry ?? [];
  const n = (value: number) => formatNumber(value, i18n.language);
  const restart = (change: () => void) => {
    change();
    setOffset(0);
  };
  return (
    <>
      <p>{t("insights.intro")}</p>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field id="insights-country" label={t("insights.country")}>
          <input id="insights-country" value={country} maxLength={3} placeholder="MLI"
            onChange={(e) => restart(() => setCountry(e.target.value.toUpperCase()))} />
        </Field>
        <Field id="insights-kind" label={t("insights.partyKind")}>
          <select id="insights-kind" value={kind} onChange={(e) => restart(() => setKind(e.target.value as PartyKind | ""))}>
            <option value="">{t("common.all")}</option>
            {KINDS.map((k) => <option key={k} value={k}>{t(`insights.kind.${k}`)}</option>)}
          </select>
        </Field>
        <Field id="insights-start" label={t("insights.start")}>
          <input id="insights-start" type="month" value={start} onChange={(e) => restart(() => setStart(e.target.value))} />
        </Field>
        <Field id="insights-end" label={t("insights.end")}>
          <input id="insights-end" type="month" value={end} onChange={(e) => restart(() => setEnd(e.target.value))} />
        </Field>
      </form>
      <p className="downloads">
        <CsvDownload service="insights" name="who-does-what" params={exportParams(filter)} label={t("exports.whoDoesWhat")} />
      </p>
      <ErrorList error={result.error} />
      <Loading busy={result.fetching} />
      <h2>{t("insights.byCountry")}</h2>
      {countries.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("insights.country")}</th>
              <th scope="col">{t("insights.region")}</th>
              <th scope="col">{t("insights.engagements")}</th>
              <th scope="col">{t("insights.openEngagements")}</th>
              <th scope="col">{t("insights.organisations")}</th>
              <th scope="col">{t("insights.products")}</th>
            </tr>
          </thead>
          <tbody>
            {countries.map((c) => (
              <tr key={c.country}>
                <th scope="row">{c.country}</th>
                <td>{c.region}</td>
                <td>{n(c.engagements)}</td>
                <td>{n(c.openEngagements)}</td>
                <td>{n(c.organisations)}</td>
                <td>{n(c.products)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t("insights.lines", { total: n(page?.total ?? 0) })}</h2>
      {page && page.items.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("insights.country")}</th>
              <th scope="col">{t("insights.organisation")}</th>
              <th scope="col">{t("insights.partyKind")}</th>
              <th scope="col">{t("insights.product")}</th>
              <th scope="col">{t("insights.client")}</th>
              <th scope="col">{t("insights.status")}</th>
              <th scope="col">{t("insights.since")}</th>
              <th scope="col">{t("insights.requests")}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((line) => (
              <tr key={`${line.country}-${line.partyKind}-${line.party}-${line.productCode}-${line.clientCode}-${line.status}`}>
                <td>{line.country}</td>
                <th scope="row">{line.orgName}</th>
                <td>{t(`insights.kind.${line.partyKind}`)}</td>
                <td>{line.productCode}</td>
                <td>{line.clientCode}</td>
                <td><Status value={line.status.toUpperCase()} /></td>
                <td>{formatDate(line.since, i18n.language)}</td>
                <td>{n(line.requests)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        hasPrevious={offset > 0}
        hasNext={page?.hasNextPage ?? false}
        onPrevious={() => setOffset(Math.max(0, offset - PAGE))}
        onNext={() => setOffset(offset + PAGE)}
      />
    </>
  );
}
