// The desk officer's actions on one request. Each mutation sends the version the
// officer saw (optimistic concurrency); the desks service refuses a stale one.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { RequestViewFragment } from "../gql/graphql";
import { ErrorList, Field } from "../components";
import { SchemaForm } from "../forms/SchemaForm";
import { detailsFrom, fieldErrors, formFields, type FormValues, type ObjectSchema } from "../forms/schemaForm";
import { ApprovalDecision } from "./approvals";
import { MergeButton } from "./links";

const Triage = graphql(`
  mutation Triage($id: ID!, $version: Int!, $owner: String, $note: String) {
    triageRequest(id: $id, expectedVersion: $version, owner: $owner, note: $note) { id version status }
  }
`);
const Route = graphql(`
  mutation Route($id: ID!, $version: Int!, $input: RouteRequestInput!) {
    routeRequest(id: $id, expectedVersion: $version, input: $input) { id version status }
  }
`);
const Hold = graphql(`
  mutation Hold($id: ID!, $version: Int!, $reason: String!) {
    holdRequest(id: $id, expectedVersion: $version, reason: $reason) { id version status }
  }
`);
const Resume = graphql(`
  mutation Resume($id: ID!, $version: Int!) {
    resumeRequest(id: $id, expectedVersion: $version) { id version status }
  }
`);
const Reject = graphql(`
  mutation Reject($id: ID!, $version: Int!, $reason: String!) {
    rejectRequest(id: $id, expectedVersion: $version, reason: $reason) { id version status }
  }
`);
const Reroute = graphql(`
  mutation Reroute($id: ID!, $version: Int!, $routingId: ID!, $productCode: ProductCode) {
    rerouteRequest(id: $id, expectedVersion: $version, routingId: $routingId, productCode: $productCode) { id version status }
  }
`);
const Unmet = graphql(`
  mutation Unmet($id: ID!, $version: Int!, $routingId: ID!, $note: String!) {
    recordUnmetDemand(id: $id, expectedVersion: $version, routingId: $routingId, note: $note) { id version status }
  }
`);
const OpenAssessment = graphql(`
  mutation OpenAssessment($input: OpenAssessmentInput!) {
    openAssessment(input: $input) { id }
  }
`);
const ProductForms = graphql(`
  query ProductForms {
    products { code name active requestForm }
  }
`);

// The statuses a request may be merged into (the desks service checks again).
const OPEN = ["submitted", "awaiting_approval", "triaged", "routed", "in_progress", "on_hold"];

interface Props {
  request: RequestViewFragment;
  actions: string[];
  onDone(): void;
}

export function DeskActions({ request, actions, onDone }: Props) {
  const { t } = useTranslation();
  const [catalog] = useQuery({ query: ProductForms });
  const [triage, runTriage] = useMutation(Triage);
  const [route, runRoute] = useMutation(Route);
  const [hold, runHold] = useMutation(Hold);
  const [resume, runResume] = useMutation(Resume);
  const [reject, runReject] = useMutation(Reject);
  const [reroute, runReroute] = useMutation(Reroute);
  const [unmet, runUnmet] = useMutation(Unmet);
  const [assessment, runAssessment] = useMutation(OpenAssessment);
  const [owner, setOwner] = useState(request.owner ?? "");
  const [chosen, setChosen] = useState<string[]>(request.products);
  const [details, setDetails] = useState<Record<string, FormValues>>({});
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [partners, setPartners] = useState("");
  const [scope, setScope] = useState("");
  const base = { id: request.id, version: request.version };
  const done = (result: { error?: unknown }) => !result.error && onDone();
  const declined = request.routings.filter((r) => r.status === "declined");
  const products = (catalog.data?.products ?? []).filter((p) => p.active);
  const fieldsOf = (code: string) => formFields((products.find((p) => p.code === code)?.requestForm ?? {}) as ObjectSchema);
  const invalid = route.error?.graphQLErrors.find((e) => e.extensions?.code === "INVALID_DETAILS");
  const invalidProduct = invalid?.extensions?.product as string | undefined;
  const routeDetails = () => Object.fromEntries(chosen.map((code) => [code, detailsFrom(fieldsOf(code), details[code] ?? {})]));

  return (
    <div className="actions desk-actions">
      <h2>{t("desk.actions")}</h2>
      {actions.includes("approve") && <ApprovalDecision request={request} onDone={onDone} />}
      {actions.includes("triage") && (
        <form onSubmit={async (e) => { e.preventDefault(); done(await runTriage({ ...base, owner: owner || null, note: null })); }}>
          <Field id="triage-owner" label={t("desk.owner")}>
            <input id="triage-owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
          </Field>
          <button type="submit">{t("desk.triage")}</button>
        </form>
      )}
      {actions.includes("route") && (
        <form onSubmit={async (e) => { e.preventDefault(); done(await runRoute({ ...base, input: { products: chosen, details: routeDetails(), owner: owner || null } })); }}>
          <fieldset className="choices">
            <legend>{t("desk.routeTo")}</legend>
            {products.map((p) => (
              <label key={p.code}>
                <input
                  type="checkbox"
                  checked={chosen.includes(p.code)}
                  onChange={(e) => setChosen(e.target.checked ? [...chosen, p.code] : chosen.filter((c) => c !== p.code))}
                />
                {p.name}
              </label>
            ))}
          </fieldset>
          {chosen.map((code) => (
            <SchemaForm
              key={code}
              idPrefix={`route-${code}`}
              title={t("requests.detailsFor", { product: products.find((p) => p.code === code)?.name ?? code })}
              fields={fieldsOf(code)}
              values={details[code] ?? {}}
              errors={code === invalidProduct ? fieldErrors((invalid?.extensions?.errors as string[]) ?? []) : {}}
              onChange={(values) => setDetails({ ...details, [code]: values })}
            />
          ))}
          <button type="submit" disabled={chosen.length === 0}>{t("desk.route")}</button>
        </form>
      )}
      {declined.map((routing) => (
        <form key={routing.id} className="declined" onSubmit={(e) => e.preventDefault()}>
          <p>{t("desk.declined", { product: routing.productCode, reason: routing.declineReason ?? "" })}</p>
          <Field id={`unmet-${routing.id}`} label={t("desk.unmetNote")}>
            <input id={`unmet-${routing.id}`} value={note} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <button type="button" disabled={!note.trim()} onClick={async () => done(await runUnmet({ ...base, routingId: routing.id, note }))}>
            {t("desk.recordUnmet")}
          </button>
          <button type="button" onClick={async () => done(await runReroute({ ...base, routingId: routing.id, productCode: null }))}>
            {t("desk.reroute")}
          </button>
        </form>
      ))}
      {(actions.includes("hold") || actions.includes("reject")) && (
        <form onSubmit={(e) => e.preventDefault()}>
          <Field id="desk-reason" label={t("desk.reason")}>
            <input id="desk-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          {actions.includes("hold") && (
            <button type="button" disabled={!reason.trim()} onClick={async () => done(await runHold({ ...base, reason }))}>{t("desk.hold")}</button>
          )}
          {actions.includes("reject") && (
            <button type="button" disabled={!reason.trim()} onClick={async () => done(await runReject({ ...base, reason }))}>{t("desk.reject")}</button>
          )}
        </form>
      )}
      {actions.includes("resume") && (
        <button type="button" onClick={async () => done(await runResume(base))}>{t("desk.resume")}</button>
      )}
      {actions.includes("assessment") && (
        <form onSubmit={async (e) => {
          e.preventDefault();
          const codes = partners.split(",").map((p) => p.trim()).filter(Boolean);
          done(await runAssessment({ input: { requestId: request.id, partners: codes, scope, tasks: codes.map((lead) => ({ title: scope, lead })) } }));
        }}>
          <h3>{t("desk.openAssessment")}</h3>
          <Field id="assessment-partners" label={t("desk.partners")}>
            <input id="assessment-partners" value={partners} onChange={(e) => setPartners(e.target.value)} />
          </Field>
          <Field id="assessment-scope" label={t("desk.scope")}>
            <input id="assessment-scope" value={scope} onChange={(e) => setScope(e.target.value)} />
          </Field>
          <button type="submit" disabled={!partners.trim() || !scope.trim()}>{t("desk.open")}</button>
        </form>
      )}
      {request.overlaps.length > 0 && (
        <>
          <h3>{t("desk.overlaps")}</h3>
          <ul>
            {request.overlaps.map((o, i) => (
              <li key={i}>
                {o.otherTitle ?? o.otherRequestId} ({o.otherClientCode}) · {o.sharedProducts.join(", ")}{" "}
                {actions.includes("merge") && o.otherRequestId && o.otherStatus && OPEN.includes(o.otherStatus) && (
                  <MergeButton request={request} into={o.otherRequestId} title={o.otherTitle ?? o.otherRequestId} onDone={onDone} />
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {request.metrics && (
        <p className="metrics">
          {t("desk.requestMetrics", { handOffs: request.metrics.handOffs, routings: request.metrics.routings, declines: request.metrics.declines, breaches: request.metrics.breaches })}
        </p>
      )}
      <ErrorList error={triage.error ?? route.error ?? hold.error ?? resume.error ?? reject.error ?? reroute.error ?? unmet.error ?? assessment.error} />
    </div>
  );
}
