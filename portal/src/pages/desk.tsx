// The desk queue (filters, sort, pagination as the API has them) and desk metrics.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { RequestSort, RequestStatus } from "../gql/graphql";
import { ContentLanguageSelect, CsvDownload, ErrorList, Field, Loading, Status } from "../components";
import { formatDateTime, formatNumber } from "../format";
import { useSession } from "../session";
import { Pager, useCursorPages } from "./requests";

const STATUSES: RequestStatus[] = ["SUBMITTED", "AWAITING_APPROVAL", "TRIAGED", "ROUTED", "IN_PROGRESS", "DELIVERED", "CLOSED", "ON_HOLD", "REJECTED", "WITHDRAWN", "MERGED"];

const DeskQueue = graphql(`
  query DeskQueue($first: Int!, $after: String, $filter: RequestFilter, $sort: RequestSort!, $search: String) {
    deskQueue(first: $first, after: $after, filter: $filter, sort: $sort, search: $search) {
      edges { node { id title status urgency clientCode products createdAt breached overlapCount reopenCount disputeCount } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export function DeskQueuePage() {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<RequestStatus | "">("");
  const [breached, setBreached] = useState(false);
  const [overlapping, setOverlapping] = useState(false);
  const [reopened, setReopened] = useState(false);
  const [disputed, setDisputed] = useState(false);
  const [language, setLanguage] = useState("");
  const [sort, setSort] = useState<RequestSort>("NEWEST");
  // What is typed applies when the search is submitted, not at every keystroke.
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const { after, restart, pagerProps } = useCursorPages();
  const filter = { status: status ? [status] : null, breached: breached || null, overlapping: overlapping || null, reopened: reopened || null, disputed: disputed || null, language: language ? [language] : null };
  const [result] = useQuery({ query: DeskQueue, variables: { first: 20, after, filter, sort, search: search || null } });
  const page = result.data?.deskQueue;
  // The export takes the queue's filters as the service's query string does.
  const exported: Record<string, string> = { sort: sort.toLowerCase() };
  if (status) exported.status = status.toLowerCase();
  if (search) exported.search = search;
  if (language) exported.language = language;
  for (const [flag, on] of Object.entries({ breached, overlapping, reopened, disputed })) if (on) exported[flag] = "true";
  return (
    <section>
      <h1>{t("desk.queue")}</h1>
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); setSearch(typed.trim()); restart(); }}>
        <Field id="queue-search" label={t("desk.search")}>
          <input id="queue-search" type="search" maxLength={200} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <button type="submit">{t("desk.searchButton")}</button>
        <Field id="queue-status" label={t("requests.status")}>
          <select id="queue-status" value={status} onChange={(e) => { setStatus(e.target.value as RequestStatus | ""); restart(); }}>
            <option value="">{t("common.all")}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
          </select>
        </Field>
        <Field id="queue-sort" label={t("desk.sort")}>
          <select id="queue-sort" value={sort} onChange={(e) => { setSort(e.target.value as RequestSort); restart(); }}>
            {(["NEWEST", "OLDEST", "RECENTLY_UPDATED"] as const).map((s) => <option key={s} value={s}>{t(`sort.${s}`)}</option>)}
          </select>
        </Field>
        <ContentLanguageSelect id="queue-language" value={language} anyLabel={t("common.all")} onChange={(code) => { setLanguage(code); restart(); }} />
        <label><input type="checkbox" checked={breached} onChange={(e) => { setBreached(e.target.checked); restart(); }} /> {t("requests.breached")}</label>
        <label><input type="checkbox" checked={overlapping} onChange={(e) => { setOverlapping(e.target.checked); restart(); }} /> {t("desk.overlappingOnly")}</label>
        <label><input type="checkbox" checked={reopened} onChange={(e) => { setReopened(e.target.checked); restart(); }} /> {t("desk.reopenedOnly")}</label>
        <label><input type="checkbox" checked={disputed} onChange={(e) => { setDisputed(e.target.checked); restart(); }} /> {t("desk.disputedOnly")}</label>
      </form>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("requests.title")}</th>
            <th scope="col">{t("requests.status")}</th>
            <th scope="col">{t("requests.client")}</th>
            <th scope="col">{t("requests.urgency")}</th>
            <th scope="col">{t("requests.submitted")}</th>
            <th scope="col">{t("desk.flags")}</th>
          </tr>
        </thead>
        <tbody>
          {page?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td><Link to={`/requests/${node.id}`}>{node.title}</Link></td>
              <td><Status value={node.status} /></td>
              <td>{node.clientCode}</td>
              <td>{t(`urgency.${node.urgency}`)}</td>
              <td>{formatDateTime(node.createdAt, i18n.language)}</td>
              <td>
                {node.breached && <span className="flag breached">{t("requests.breached")}</span>}{" "}
                {node.overlapCount > 0 && <span className="flag overlap">{t("requests.overlapping", { count: node.overlapCount })}</span>}{" "}
                {node.reopenCount > 0 && <span className="flag reopened">{t("desk.reopened")}</span>}{" "}
                {node.disputeCount > 0 && <span className="flag disputed">{t("desk.disputed")}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager {...pagerProps(page?.pageInfo)} />
      <p className="downloads">
        <CsvDownload service="desks" name="queue" params={exported} label={t("exports.queue")} />{" "}
        <CsvDownload service="desks" name="sla-breaches" params={exported} label={t("exports.slaBreaches")} />
      </p>
    </section>
  );
}

const DeskMetrics = graphql(`
  query DeskMetrics($desk: String!) {
    deskMetrics(deskCode: $desk) { deskCode requests open openBreached awaitingTriage overlappingOpen unmetDemand averageHoursToRoute averageSatisfaction awaitingApproval averageHoursAwaitingApproval reopenings disputes }
  }
`);

export function DeskMetricsPage() {
  const { t, i18n } = useTranslation();
  const { session } = useSession();
  const desk = session?.claims.desk ?? "";
  const [result] = useQuery({ query: DeskMetrics, variables: { desk }, pause: !desk });
  const m = result.data?.deskMetrics;
  const n = (value: number | null | undefined) => (value == null ? "—" : formatNumber(value, i18n.language, { maximumFractionDigits: 1 }));
  return (
    <section>
      <h1>{t("desk.metrics", { desk })}</h1>
      <ErrorList error={result.error} />
      {m && (
        <dl className="facts">
          <dt>{t("metrics.requests")}</dt><dd>{n(m.requests)}</dd>
          <dt>{t("metrics.open")}</dt><dd>{n(m.open)}</dd>
          <dt>{t("metrics.openBreached")}</dt><dd>{n(m.openBreached)}</dd>
          <dt>{t("metrics.awaitingTriage")}</dt><dd>{n(m.awaitingTriage)}</dd>
          <dt>{t("metrics.overlappingOpen")}</dt><dd>{n(m.overlappingOpen)}</dd>
          <dt>{t("metrics.unmetDemand")}</dt><dd>{n(m.unmetDemand)}</dd>
          <dt>{t("metrics.hoursToRoute")}</dt><dd>{n(m.averageHoursToRoute)}</dd>
          <dt>{t("metrics.satisfaction")}</dt><dd>{n(m.averageSatisfaction)}</dd>
          <dt>{t("metrics.awaitingApproval")}</dt><dd>{n(m.awaitingApproval)}</dd>
          <dt>{t("metrics.hoursAwaitingApproval")}</dt><dd>{n(m.averageHoursAwaitingApproval)}</dd>
          <dt>{t("metrics.reopenings")}</dt><dd>{n(m.reopenings)}</dd>
          <dt>{t("metrics.disputes")}</dt><dd>{n(m.disputes)}</dd>
        </dl>
      )}
      <p className="downloads">
        <CsvDownload service="desks" name="coordination-metrics" params={{}} label={t("exports.coordinationMetrics")} />{" "}
        <CsvDownload service="desks" name="unmet-demand" params={{}} label={t("exports.unmetDemand")} />{" "}
        <CsvDownload service="desks" name="sla-breaches" params={{}} label={t("exports.slaBreaches")} />
      </p>
    </section>
  );
}
