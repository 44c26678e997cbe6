// What integration costs and what it shows, computed by the insights service from
// every step of every request the caller may see: SLA time per party, the cost of
// coordination, and demand without supply. Three tabs of the insights page.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { CoordinationFilter, FigureGrouping, HoldingParty } from "../gql/graphql";
import { CsvDownload, ErrorList, Field, Loading, Status } from "../components";
import { formatDate, formatNumber } from "../format";
import { Pager } from "./requests";

const PAGE = 25;
const PARTIES: HoldingParty[] = ["CLIENT", "DESK", "PROVIDER", "PARTNER"];
const COST_GROUPS: FigureGrouping[] = ["MONTH", "DESK", "PRODUCT", "COUNTRY"];

const RequestFigures = graphql(`
  query RequestFigures($filter: CoordinationFilter, $first: Int!, $offset: Int!, $by: FigureGrouping!) {
    requestFigures(filter: $filter, first: $first, offset: $offset) {
      total
      hasNextPage
      items {
        requestId deskCode country clientCode status route submittedAt measuredSeconds heldBy
        parties { partyKind party orgName seconds sharePct breaches }
        breaches { clock breachedAt heldBy }
      }
    }
    slaShares(filter: $filter, by: $by) { key partyKind requests medianSharePct p90SharePct seconds breaches }
  }
`);

const CoordinationCosts = graphql(`
  query CoordinationCosts($filter: CoordinationFilter, $by: FigureGrouping!) {
    coordinationCosts(filter: $filter, by: $by) {
      key route requests handOffs partiesInvolved reroutings declines firstEngagementHours jointAssessmentHours
    }
  }
`);

const DemandWithoutSupply = graphql(`
  query DemandWithoutSupply($filter: CoordinationFilter) {
    demandWithoutSupply(filter: $filter) {
      unmet { month productCode region reasonCode requests }
      load { month productCode capacity requested accepted declined inHand utilisation unmet }
    }
  }
`);

/** The filter the form describes, only the fields given (months of submission). */
function filterOf(country: string, product: string, start: string, end: string): CoordinationFilter {
  const filter: CoordinationFilter = {};
  if (/^[A-Z]{3}$/.test(country)) filter.country = country;
  if (/^[A-Z][A-Z0-9_]{1,63}$/.test(product)) filter.productCode = product;
  if (start) filter.start = `${start}-01T00:00:00Z`;
  if (end) filter.end = `${end}-01T00:00:00Z`;
  return filter;
}

/** The same filter as an export's query parameters (the service's REST names). */
function exportParams(filter: CoordinationFilter): Record<string, string> {
  const params: Record<string, string> = {};
  if (filter.country) params.country = filter.country;
  if (filter.productCode) params.product_code = filter.productCode;
  if (filter.start) params.start = filter.start;
  if (filter.end) params.end = filter.end;
  return params;
}

function useFilterForm(prefix: string) {
  const { t } = useTranslation();
  const [country, setCountry] = useState("");
  const [product, setProduct] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const form = (
    <form className="filters" onSubmit={(e) => e.preventDefault()}>
      <Field id={`${prefix}-country`} label={t("insights.country")}>
        <input id={`${prefix}-country`} value={country} maxLength={3} placeholder="MLI"
          onChange={(e) => setCountry(e.target.value.toUpperCase())} />
      </Field>
      <Field id={`${prefix}-product`} label={t("insights.product")}>
        <input id={`${prefix}-product`} value={product} maxLength={64} placeholder="ELECTORAL_ASSISTANCE"
          onChange={(e) => setProduct(e.target.value.toUpperCase())} />
      </Field>
      <Field id={`${prefix}-start`} label={t("coordination.from")}>
        <input id={`${prefix}-start`} type="month" value={start} onChange={(e) => setStart(e.target.value)} />
      </Field>
      <Field id={`${prefix}-end`} label={t("coordination.until")}>
        <input id={`${prefix}-end`} type="month" value={end} onChange={(e) => setEnd(e.target.value)} />
      </Field>
    </form>
  );
  return { filter: filterOf(country, product, start, end), form };
}

function hours(seconds: number, language: string): string {
  return formatNumber(seconds / 3600, language, { maximumFractionDigits: 1 });
}

/** A bar split in each party's part of a whole (a share of time, a slot use). */
function ShareBar({ parts, label }: { parts: { name: string; value: number }[]; label: string }) {
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  return (
    <div className="share-bar" role="img" aria-label={label}>
      {total > 0 && parts.filter((part) => part.value > 0).map((part) => (
        <span key={part.name} className={`share-${part.name.toLowerCase()}`}
          style={{ width: `${(100 * part.value) / total}%` }} title={part.name} />
      ))}
    </div>
  );
}

export function SlaTimePerParty() {
  const { t, i18n } = useTranslation();
  const { filter, form } = useFilterForm("sla");
  const [by, setBy] = useState<FigureGrouping>("DESK");
  const [offset, setOffset] = useState(0);
  const [result] = useQuery({ query: RequestFigures, variables: { filter, first: PAGE, offset, by } });
  const page = result.data?.requestFigures;
  const shares = result.data?.slaShares ?? [];
  const n = (value: number) => formatNumber(value, i18n.language);
  const groups = [...new Set(shares.map((row) => row.key))];
  return (
    <>
      <p>{t("coordination.slaIntro")}</p>
      {form}
      <p className="downloads">
        <CsvDownload service="insights" name="sla-time-per-party" params={exportParams(filter)} label={t("exports.slaTimePerParty")} />
      </p>
      <ErrorList error={result.error} />
      <Loading busy={result.fetching} />
      <Field id="sla-by" label={t("coordination.groupBy")}>
        <select id="sla-by" value={by} onChange={(e) => setBy(e.target.value as FigureGrouping)}>
          <option value="DESK">{t("coordination.by.DESK")}</option>
          <option value="PRODUCT">{t("coordination.by.PRODUCT")}</option>
        </select>
      </Field>
      <h2>{t("coordination.shares")}</h2>
      {groups.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t(`coordination.by.${by}`)}</th>
              <th scope="col">{t("coordination.partyColumn")}</th>
              <th scope="col">{t("insights.requests")}</th>
              <th scope="col">{t("coordination.medianShare")}</th>
              <th scope="col">{t("coordination.p90Share")}</th>
              <th scope="col">{t("coordination.hoursHeld")}</th>
              <th scope="col">{t("coordination.breaches")}</th>
            </tr>
          </thead>
          <tbody>
            {shares.map((row) => (
              <tr key={`${row.key}-${row.partyKind}`}>
                <th scope="row">{row.key}</th>
                <td>{t(`coordination.party.${row.partyKind}`)}</td>
                <td>{n(row.requests)}</td>
                <td>{n(row.medianSharePct)} %</td>
                <td>{n(row.p90SharePct)} %</td>
                <td>{hours(row.seconds, i18n.language)}</td>
                <td>{n(row.breaches)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t("coordination.perRequest", { total: n(page?.total ?? 0) })}</h2>
      {page && page.items.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("coordination.submitted")}</th>
              <th scope="col">{t("insights.client")}</th>
              <th scope="col">{t("insights.status")}</th>
              {PARTIES.map((kind) => <th key={kind} scope="col">{t(`coordination.hoursOf.${kind}`)}</th>)}
              <th scope="col">{t("coordination.split")}</th>
              <th scope="col">{t("coordination.breachesHeldBy")}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((request) => {
              const of = (kind: HoldingParty) => request.parties.filter((p) => p.partyKind === kind).reduce((sum, p) => sum + p.seconds, 0);
              return (
                <tr key={request.requestId}>
                  <th scope="row">{formatDate(request.submittedAt, i18n.language)} · {request.deskCode}</th>
                  <td>{request.clientCode}</td>
                  <td><Status value={request.status.toUpperCase()} /></td>
                  {PARTIES.map((kind) => <td key={kind}>{hours(of(kind), i18n.language)}</td>)}
                  <td><ShareBar label={PARTIES.map((kind) => `${t(`coordination.party.${kind}`)} ${hours(of(kind), i18n.language)}`).join(", ")}
                    parts={PARTIES.map((kind) => ({ name: kind, value: of(kind) }))} /></td>
                  <td>{request.breaches.map((b) => `${b.clock}: ${b.heldBy.join(", ")}`).join("; ") || "—"}</td>
                </tr>
              );
            })}
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

export function CostOfCoordination() {
  const { t, i18n } = useTranslation();
  const { filter, form } = useFilterForm("cost");
  const [by, setBy] = useState<FigureGrouping>("MONTH");
  const [result] = useQuery({ query: CoordinationCosts, variables: { filter, by } });
  const rows = result.data?.coordinationCosts ?? [];
  const n = (value: number | null | undefined) => (value == null ? "—" : formatNumber(value, i18n.language, { maximumFractionDigits: 1 }));
  return (
    <>
      <p>{t("coordination.costIntro")}</p>
      {form}
      <p className="downloads">
        <CsvDownload service="insights" name="coordination-cost" params={exportParams(filter)} label={t("exports.coordinationCost")} />
      </p>
      <Field id="cost-by" label={t("coordination.groupBy")}>
        <select id="cost-by" value={by} onChange={(e) => setBy(e.target.value as FigureGrouping)}>
          {COST_GROUPS.map((group) => <option key={group} value={group}>{t(`coordination.by.${group}`)}</option>)}
        </select>
      </Field>
      <ErrorList error={result.error} />
      <Loading busy={result.fetching} />
      {rows.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t(`coordination.by.${by}`)}</th>
              <th scope="col">{t("coordination.route")}</th>
              <th scope="col">{t("insights.requests")}</th>
              <th scope="col">{t("coordination.handOffs")}</th>
              <th scope="col">{t("coordination.partiesInvolved")}</th>
              <th scope="col">{t("coordination.reroutings")}</th>
              <th scope="col">{t("coordination.declines")}</th>
              <th scope="col">{t("coordination.firstEngagement")}</th>
              <th scope="col">{t("coordination.jointAssessment")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.key}-${row.route}`}>
                <th scope="row">{row.key}</th>
                <td>{t(`coordination.routes.${row.route}`)}</td>
                <td>{n(row.requests)}</td>
                <td>{n(row.handOffs)}</td>
                <td>{n(row.partiesInvolved)}</td>
                <td>{n(row.reroutings)}</td>
                <td>{n(row.declines)}</td>
                <td>{n(row.firstEngagementHours)}</td>
                <td>{n(row.jointAssessmentHours)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function DemandWithoutSupplyView() {
  const { t, i18n } = useTranslation();
  const { filter, form } = useFilterForm("demand");
  const [result] = useQuery({ query: DemandWithoutSupply, variables: { filter } });
  const view = result.data?.demandWithoutSupply;
  const n = (value: number) => formatNumber(value, i18n.language);
  return (
    <>
      <p>{t("coordination.demandIntro")}</p>
      {form}
      <p className="downloads">
        <CsvDownload service="insights" name="demand-without-supply" params={exportParams(filter)} label={t("exports.demandWithoutSupply")} />
      </p>
      <ErrorList error={result.error} />
      <Loading busy={result.fetching} />
      <h2>{t("coordination.unmet")}</h2>
      {!view || view.unmet.length === 0 ? <p>{t("common.none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("coordination.month")}</th>
              <th scope="col">{t("insights.product")}</th>
              <th scope="col">{t("insights.region")}</th>
              <th scope="col">{t("coordination.reason")}</th>
              <th scope="col">{t("insights.requests")}</th>
            </tr>
          </thead>
          <tbody>
            {view.unmet.map((row) => (
              <tr key={`${row.month}-${row.productCode}-${row.region}-${row.reasonCode}`}>
                <th scope="row">{row.month}</th>
                <td>{row.productCode}</td>
                <td>{row.region}</td>
                <td>{t(`decline.${row.reasonCode.toUpperCase()}`)}</td>
                <td>{n(row.requests)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t("coordination.supply")}</h2>
      {!view || view.load.length === 0 ? <p>{t("coordination.noSupply")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("coordination.month")}</th>
              <th scope="col">{t("insights.product")}</th>
              <th scope="col">{t("coordination.routedTo")}</th>
              <th scope="col">{t("coordination.accepted")}</th>
              <th scope="col">{t("coordination.declines")}</th>
              <th scope="col">{t("coordination.inHand")}</th>
              <th scope="col">{t("coordination.capacity")}</th>
              <th scope="col">{t("coordination.utilisation")}</th>
              <th scope="col">{t("coordination.unmet")}</th>
            </tr>
          </thead>
          <tbody>
            {view.load.map((row) => (
              <tr key={`${row.productCode}-${row.month}`}>
                <th scope="row">{row.month}</th>
                <td>{row.productCode}</td>
                <td>{n(row.requested)}</td>
                <td>{n(row.accepted)}</td>
                <td>{n(row.declined)}</td>
                <td>{n(row.inHand)}</td>
                <td>{n(row.capacity)}</td>
                <td>
                  <ShareBar label={`${n(row.inHand)} / ${n(row.capacity)}`}
                    parts={[{ name: "used", value: Math.min(row.inHand, row.capacity) }, { name: "free", value: Math.max(0, row.capacity - row.inHand) }]} />
                  {row.utilisation == null ? "—" : `${formatNumber(row.utilisation * 100, i18n.language, { maximumFractionDigits: 0 })} %`}
                </td>
                <td>{n(row.unmet)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
