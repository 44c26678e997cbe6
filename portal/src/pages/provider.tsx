// The provider's queue, live over engagementUpdated, one engagement's lifecycle,
// and capacity (utilisation, unmet demand per product).
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { DeclineReason, EngagementRowFragment } from "../gql/graphql";
import { CsvDownload, ErrorList, Field, Loading, Status } from "../components";
import { formatDate, formatDateTime, formatNumber } from "../format";
import { Pager, useCursorPages } from "./requests";

export const EngagementRow = graphql(`
  fragment EngagementRow on Engagement {
    id requestId productCode status clientCode deskCode title urgency version updatedAt dueAt overdue declineReason
  }
`);

const ProviderQueue = graphql(`
  query ProviderQueue($first: Int!, $after: String) {
    providerQueue(first: $first, after: $after) {
      edges { node { ...EngagementRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const EngagementLive = graphql(`
  subscription EngagementLive {
    engagementUpdated { ...EngagementRow }
  }
`);

type Row = EngagementRowFragment;

function useProviderRows(after: string | null) {
  const [result] = useQuery({ query: ProviderQueue, variables: { first: 20, after } });
  // Live changes merge over the fetched page: a new proposal appears, a moved one updates.
  const [live] = useSubscription({ query: EngagementLive }, (pushed: Record<string, Row> = {}, event) => ({
    ...pushed,
    [event.engagementUpdated.id]: event.engagementUpdated,
  }));
  const fetched: Row[] = result.data?.providerQueue.edges.map((e) => e.node) ?? [];
  const pushed = Object.values(live.data ?? {});
  const byId = new Map(fetched.map((row) => [row.id, row]));
  for (const row of pushed) {
    const known = byId.get(row.id);
    if (!known || row.version >= known.version) byId.set(row.id, row);
  }
  return { rows: [...byId.values()], result };
}

export function ProviderQueuePage() {
  const { t, i18n } = useTranslation();
  const { after, pagerProps } = useCursorPages();
  const { rows, result } = useProviderRows(after);
  const page = result.data?.providerQueue;
  return (
    <section>
      <h1>{t("provider.queue")}</h1>
      <p className="downloads">
        <CsvDownload service="products" name="engagements" params={{}} label={t("exports.engagements")} />
      </p>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("requests.title")}</th>
            <th scope="col">{t("provider.product")}</th>
            <th scope="col">{t("requests.status")}</th>
            <th scope="col">{t("requests.client")}</th>
            <th scope="col">{t("provider.due")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row: Row) => (
            <tr key={row.id} data-engagement={row.id}>
              <td><Link to={`/engagements/${row.id}`}>{row.title}</Link></td>
              <td>{row.productCode}</td>
              <td><Status value={row.status} />{row.overdue && <span className="flag breached"> {t("provider.overdue")}</span>}</td>
              <td>{row.clientCode}</td>
              <td>{formatDateTime(row.dueAt, i18n.language)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager {...pagerProps(page?.pageInfo)} />
    </section>
  );
}

const EngagementQuery = graphql(`
  query Engagement($id: ID!) {
    engagement(id: $id) {
      ...EngagementRow
      description details
      deliverables { title kind reference deliveredOn }
      assignments { id expertName startsOn endsOn }
    }
    experts { id name skills languages }
  }
`);

const Accept = graphql(`mutation Accept($id: ID!, $version: Int!) { acceptEngagement(id: $id, expectedVersion: $version) { id version status } }`);
const Decline = graphql(`
  mutation Decline($id: ID!, $version: Int!, $code: DeclineReason!, $reason: String!) {
    declineEngagement(id: $id, expectedVersion: $version, reasonCode: $code, reason: $reason) { id version status }
  }
`);
const Plan = graphql(`mutation Plan($id: ID!, $version: Int!) { startPlanning(id: $id, expectedVersion: $version) { id version status } }`);
const Deploy = graphql(`mutation Deploy($id: ID!, $version: Int!) { deployEngagement(id: $id, expectedVersion: $version) { id version status } }`);
const Deliver = graphql(`mutation Deliver($id: ID!, $version: Int!) { deliverEngagement(id: $id, expectedVersion: $version) { id version status } }`);
const Close = graphql(`mutation Close($id: ID!, $version: Int!) { closeEngagement(id: $id, expectedVersion: $version) { id version status } }`);
const AssignExpert = graphql(`
  mutation AssignExpert($id: ID!, $version: Int!, $expert: String!, $from: Date!, $to: Date!) {
    assignExpert(id: $id, expectedVersion: $version, expertId: $expert, startsOn: $from, endsOn: $to) { id version }
  }
`);
const RecordDeliverable = graphql(`
  mutation RecordDeliverable($id: ID!, $version: Int!, $deliverable: DeliverableInput!) {
    recordDeliverable(id: $id, expectedVersion: $version, deliverable: $deliverable) { id version }
  }
`);

const DECLINE_REASONS: DeclineReason[] = ["CAPACITY", "OUT_OF_MANDATE", "NEEDS_PARTNER", "INSUFFICIENT_INFORMATION", "OTHER"];
const NEXT_STEP: Record<string, "plan" | "deploy" | "deliver" | "close" | undefined> = {
  accepted: "plan",
  planning: "deploy",
  deployed: "deliver",
  delivered: "close",
};

export function EngagementPage() {
  const { id = "" } = useParams();
  const { t, i18n } = useTranslation();
  const [result, refetch] = useQuery({ query: EngagementQuery, variables: { id } });
  const [accepted, accept] = useMutation(Accept);
  const [declined, decline] = useMutation(Decline);
  const [planned, plan] = useMutation(Plan);
  const [deployed, deploy] = useMutation(Deploy);
  const [delivered, deliver] = useMutation(Deliver);
  const [closed, close] = useMutation(Close);
  const [assigned, assign] = useMutation(AssignExpert);
  const [recorded, record] = useMutation(RecordDeliverable);
  const [code, setCode] = useState<DeclineReason>("CAPACITY");
  const [reason, setReason] = useState("");
  const [expert, setExpert] = useState("");
  const [span, setSpan] = useState({ from: "", to: "" });
  const [deliverable, setDeliverable] = useState({ title: "", kind: "report", reference: "", deliveredOn: "" });
  const engagement = result.data?.engagement;
  if (!engagement) return <section><Loading busy={result.fetching} /><ErrorList error={result.error} /></section>;
  const base = { id: engagement.id, version: engagement.version };
  const done = (r: { error?: unknown }) => !r.error && refetch({ requestPolicy: "network-only" });
  const step = NEXT_STEP[engagement.status];
  const steps = { plan, deploy, deliver, close };
  const open = !["declined", "closed", "withdrawn"].includes(engagement.status);
  return (
    <section>
      <h1>{engagement.title}</h1>
      <p>{engagement.productCode}: <Status value={engagement.status} /></p>
      <p>{engagement.description}</p>
      {engagement.status === "proposed" && (
        <form onSubmit={(e) => e.preventDefault()} className="actions">
          <button type="button" onClick={async () => done(await accept(base))}>{t("provider.accept")}</button>
          <Field id="decline-code" label={t("provider.declineCode")}>
            <select id="decline-code" value={code} onChange={(e) => setCode(e.target.value as DeclineReason)}>
              {DECLINE_REASONS.map((r) => <option key={r} value={r}>{t(`decline.${r}`)}</option>)}
            </select>
          </Field>
          <Field id="decline-reason" label={t("provider.declineReason")}>
            <input id="decline-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <button type="button" disabled={!reason.trim()} onClick={async () => done(await decline({ ...base, code, reason }))}>{t("provider.decline")}</button>
        </form>
      )}
      {step && (
        <button type="button" onClick={async () => done(await steps[step](base))}>{t(`provider.${step}`)}</button>
      )}
      {open && engagement.status !== "proposed" && (
        <>
          <form onSubmit={async (e) => { e.preventDefault(); done(await assign({ ...base, expert, from: span.from, to: span.to })); }}>
            <h2>{t("provider.assignExpert")}</h2>
            <Field id="expert" label={t("provider.expert")}>
              <select id="expert" value={expert} onChange={(e) => setExpert(e.target.value)}>
                <option value="">{t("form.choose")}</option>
                {result.data?.experts.map((x) => <option key={x.id} value={x.id}>{x.name} ({x.skills.join(", ")})</option>)}
              </select>
            </Field>
            <Field id="expert-from" label={t("provider.from")}>
              <input id="expert-from" type="date" value={span.from} onChange={(e) => setSpan({ ...span, from: e.target.value })} />
            </Field>
            <Field id="expert-to" label={t("provider.to")}>
              <input id="expert-to" type="date" value={span.to} onChange={(e) => setSpan({ ...span, to: e.target.value })} />
            </Field>
            <button type="submit" disabled={!expert || !span.from || !span.to}>{t("provider.assign")}</button>
          </form>
          <form onSubmit={async (e) => { e.preventDefault(); done(await record({ ...base, deliverable })); }}>
            <h2>{t("provider.deliverable")}</h2>
            <Field id="deliverable-title" label={t("requests.title")}>
              <input id="deliverable-title" value={deliverable.title} onChange={(e) => setDeliverable({ ...deliverable, title: e.target.value })} />
            </Field>
            <Field id="deliverable-reference" label={t("provider.reference")}>
              <input id="deliverable-reference" value={deliverable.reference} onChange={(e) => setDeliverable({ ...deliverable, reference: e.target.value })} />
            </Field>
            <Field id="deliverable-on" label={t("provider.deliveredOn")}>
              <input id="deliverable-on" type="date" value={deliverable.deliveredOn} onChange={(e) => setDeliverable({ ...deliverable, deliveredOn: e.target.value })} />
            </Field>
            <button type="submit">{t("provider.record")}</button>
          </form>
        </>
      )}
      <h2>{t("provider.assignments")}</h2>
      <ul>{engagement.assignments.map((a) => <li key={a.id}>{a.expertName}: {formatDate(a.startsOn, i18n.language)} – {formatDate(a.endsOn, i18n.language)}</li>)}</ul>
      <h2>{t("provider.deliverables")}</h2>
      <ul>{engagement.deliverables.map((d, i) => <li key={i}>{d.title} · {d.reference} · {formatDate(d.deliveredOn, i18n.language)}</li>)}</ul>
      <ErrorList error={accepted.error ?? declined.error ?? planned.error ?? deployed.error ?? delivered.error ?? closed.error ?? assigned.error ?? recorded.error} />
    </section>
  );
}

const Capacity = graphql(`
  query Capacity {
    productUtilisation { productCode capacity active utilisation }
    unmetDemand { productCode declined recordedByDesks requests }
  }
`);

export function CapacityPage() {
  const { t, i18n } = useTranslation();
  const [result] = useQuery({ query: Capacity });
  const unmet = new Map((result.data?.unmetDemand ?? []).map((u) => [u.productCode, u]));
  return (
    <section>
      <h1>{t("provider.capacity")}</h1>
      <ErrorList error={result.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("provider.product")}</th>
            <th scope="col">{t("provider.utilisation")}</th>
            <th scope="col">{t("provider.active")}</th>
            <th scope="col">{t("provider.declined")}</th>
            <th scope="col">{t("provider.unmet")}</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.productUtilisation.map((u) => (
            <tr key={u.productCode}>
              <td>{u.productCode}</td>
              <td>{formatNumber(u.utilisation, i18n.language, { style: "percent" })}</td>
              <td>{formatNumber(u.active, i18n.language)} / {formatNumber(u.capacity, i18n.language)}</td>
              <td>{formatNumber(unmet.get(u.productCode)?.declined ?? 0, i18n.language)}</td>
              <td>{formatNumber(unmet.get(u.productCode)?.recordedByDesks ?? 0, i18n.language)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
