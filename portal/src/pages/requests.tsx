// The client's screens (my requests, a new request, one request) and the request page
// the desk works on too: what each role may do there comes from roles.ts.
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { RequestViewFragment } from "../gql/graphql";
import { downloadAttachment, uploadAttachment } from "../attachments";
import { ContentLanguageSelect, ErrorList, Field, Loading, Status, languageName } from "../components";
import { DownloadError } from "../exports";
import { formatDateTime, formatNumber } from "../format";
import { SchemaForm } from "../forms/SchemaForm";
import { detailsFrom, fieldErrors, formFields, type FormValues, type ObjectSchema } from "../forms/schemaForm";
import { requestActions } from "../roles";
import { useDraft, useSession } from "../session";
import { DeskActions } from "./deskActions";
import { LinkActions, LinkedRequests } from "./links";

const MyRequests = graphql(`
  query MyRequests($first: Int!, $after: String) {
    myRequests(first: $first, after: $after) {
      edges { node { id title status urgency deskCode createdAt breached overlapCount } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export function MyRequestsPage() {
  const { t, i18n } = useTranslation();
  const { after, pagerProps } = useCursorPages();
  const [result] = useQuery({ query: MyRequests, variables: { first: 20, after } });
  const page = result.data?.myRequests;
  return (
    <section>
      <h1>{t("requests.mine")}</h1>
      <p>
        <Link to="/requests/new">{t("nav.newRequest")}</Link>
      </p>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("requests.title")}</th>
            <th scope="col">{t("requests.status")}</th>
            <th scope="col">{t("requests.desk")}</th>
            <th scope="col">{t("requests.submitted")}</th>
          </tr>
        </thead>
        <tbody>
          {page?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <Link to={`/requests/${node.id}`}>{node.title}</Link>
              </td>
              <td>
                <Status value={node.status} />
              </td>
              <td>{node.deskCode}</td>
              <td>{formatDateTime(node.createdAt, i18n.language)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager {...pagerProps(page?.pageInfo)} />
    </section>
  );
}

/** Keyset pages walked forward and back: the cursors seen so far, the current one last. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1],
    restart: () => setCursors([null]),
    pagerProps: (pageInfo?: { hasNextPage: boolean; endCursor?: string | null }) => ({
      hasPrevious: cursors.length > 1,
      hasNext: Boolean(pageInfo?.hasNextPage),
      onPrevious: () => setCursors(cursors.slice(0, -1)),
      onNext: () => setCursors([...cursors, pageInfo?.endCursor ?? null]),
    }),
  };
}

export function Pager(props: { hasPrevious: boolean; hasNext: boolean; onPrevious(): void; onNext(): void }) {
  const { t } = useTranslation();
  return (
    <nav className="pager" aria-label={t("common.pages")}>
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        {t("common.previous")}
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        {t("common.next")}
      </button>
    </nav>
  );
}

const Products = graphql(`
  query Products {
    products { code name description requestForm active }
  }
`);

const Submit = graphql(`
  mutation SubmitRequest($input: SubmitRequestInput!) {
    submitRequest(input: $input) { id }
  }
`);

interface RequestDraft {
  title: string;
  description: string;
  urgency: "ROUTINE" | "PRIORITY" | "IMMEDIATE";
  products: string[];
  details: Record<string, FormValues>;
  language?: string;
}

const EMPTY_DRAFT: RequestDraft = { title: "", description: "", urgency: "ROUTINE", products: [], details: {}, language: "en" };

export function NewRequestPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [catalog] = useQuery({ query: Products });
  const [submission, submit] = useMutation(Submit);
  const [draft, setDraft, clearDraft] = useDraft<RequestDraft>("new-request", EMPTY_DRAFT);
  const products = useMemo(() => (catalog.data?.products ?? []).filter((p) => p.active), [catalog.data]);
  const fieldsOf = (code: string) => formFields((products.find((p) => p.code === code)?.requestForm ?? {}) as ObjectSchema);

  const invalid = submission.error?.graphQLErrors.find((e) => e.extensions?.code === "INVALID_DETAILS");
  const invalidProduct = invalid?.extensions?.product as string | undefined;
  const errorsOfProduct = invalidProduct ? fieldErrors((invalid?.extensions?.errors as string[]) ?? []) : {};

  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    const details = Object.fromEntries(draft.products.map((code) => [code, detailsFrom(fieldsOf(code), draft.details[code] ?? {})]));
    const result = await submit({
      input: { title: draft.title, description: draft.description, urgency: draft.urgency, products: draft.products, details, language: draft.language ?? "en" },
    });
    const id = result.data?.submitRequest.id;
    if (id) {
      clearDraft();
      navigate(`/requests/${id}`);
    }
  }

  return (
    <section>
      <h1>{t("requests.new")}</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field id="request-title" label={`${t("requests.title")} *`}>
          <input id="request-title" required value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} />
        </Field>
        <Field id="request-description" label={t("requests.description")}>
          <textarea id="request-description" rows={4} value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
        </Field>
        <Field id="request-urgency" label={t("requests.urgency")}>
          <select id="request-urgency" value={draft.urgency} onChange={(e) => setDraft({ ...draft, urgency: e.target.value as RequestDraft["urgency"] })}>
            {(["ROUTINE", "PRIORITY", "IMMEDIATE"] as const).map((u) => (
              <option key={u} value={u}>
                {t(`urgency.${u}`)}
              </option>
            ))}
          </select>
        </Field>
        <ContentLanguageSelect id="request-language" value={draft.language ?? "en"} onChange={(language) => setDraft({ ...draft, language })} />
        <fieldset className="choices">
          <legend>{t("requests.products")}</legend>
          <p className="hint">{t("requests.productsHint")}</p>
          {products.map((product) => (
            <label key={product.code}>
              <input
                type="checkbox"
                checked={draft.products.includes(product.code)}
                onChange={(e) =>
                  setDraft({
                    ...draft,
                    products: e.target.checked ? [...draft.products, product.code] : draft.products.filter((c) => c !== product.code),
                  })
                }
              />
              {product.name}
            </label>
          ))}
        </fieldset>
        {draft.products.map((code) => (
          <SchemaForm
            key={code}
            idPrefix={`details-${code}`}
            title={t("requests.detailsFor", { product: products.find((p) => p.code === code)?.name ?? code })}
            fields={fieldsOf(code)}
            values={draft.details[code] ?? {}}
            errors={code === invalidProduct ? errorsOfProduct : {}}
            onChange={(values) => setDraft({ ...draft, details: { ...draft.details, [code]: values } })}
          />
        ))}
        <ErrorList error={submission.error} />
        <button type="submit" disabled={submission.fetching}>
          {t("requests.submit")}
        </button>
      </form>
    </section>
  );
}

export const RequestView = graphql(`
  fragment RequestView on ServiceRequest {
    id title description status urgency clientCode country deskCode products owner statusReason language
    desk { name }
    version createdAt updatedAt breached overlapCount satisfactionScore
    routings { id productCode status engagementId engagementStatus declineReason routedAt }
    slaClocks { clock dueAt stoppedAt breachedAt }
    slaTimeLeft { clock remainingWorkingSeconds paused }
    timeline { at eventType actor summary }
    comments { id author authorRole body internal createdAt fromRequestId }
    attachments { id name url mediaType sizeBytes addedBy addedAt uploaded scanStatus internal fromRequestId }
    suggestions { lessonId title summary reasons score }
    overlaps { otherRequestId otherTitle otherClientCode otherStatus sharedProducts similarity }
    metrics { handOffs routings declines breaches entitiesInvolved }
    jointAssessments { id status partners scope }
    approvals { id rules decision decidedBy decidedAt comment requestedAt }
    derivesStatusFromChildren
    parent { id title status }
    children { id title status }
    mergedInto { id title status }
    mergedRequests { id title status }
  }
`);

const RequestQuery = graphql(`
  query Request($id: ID!) {
    request(id: $id) { ...RequestView }
  }
`);

const RequestLive = graphql(`
  subscription RequestLive($id: ID!) {
    requestUpdated(id: $id) { ...RequestView }
  }
`);

/** A routing the desk resolved (re-routed, unmet) shows that; else its engagement's status. */
function shownStatus(routing: { status: string; engagementStatus?: string | null }): string {
  if (routing.status === "unmet" || routing.status === "rerouted") return routing.status;
  return routing.engagementStatus ?? routing.status;
}

const ProductNames = graphql(`
  query ProductNames {
    products { code name }
  }
`);

/** The newer of what the query fetched and what the subscription pushed. */
function latest(a?: RequestViewFragment, b?: RequestViewFragment | null): RequestViewFragment | undefined {
  if (!a) return b ?? undefined;
  if (!b) return a;
  return b.version >= a.version ? b : a;
}

export function RequestPage() {
  const { id = "" } = useParams();
  const { t, i18n } = useTranslation();
  const { session } = useSession();
  const [result, refetch] = useQuery({ query: RequestQuery, variables: { id } });
  const [live] = useSubscription({ query: RequestLive, variables: { id }, pause: !result.data });
  const request = latest(result.data?.request, live.data?.requestUpdated);
  const [names] = useQuery({ query: ProductNames });
  const productName = (code: string) => names.data?.products.find((p) => p.code === code)?.name ?? code;
  if (!request) {
    return (
      <section>
        <Loading busy={result.fetching} />
        <ErrorList error={result.error} />
      </section>
    );
  }
  const role = session?.claims.role ?? "client";
  const actions = requestActions(role, request.status);
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <section className="request">
      <h1>{request.title}</h1>
      <p>
        <Status value={request.status} /> {request.breached && <span className="flag breached">{t("requests.breached")}</span>}{" "}
        {request.overlapCount > 0 && <span className="flag overlap">{t("requests.overlapping", { count: request.overlapCount })}</span>}
      </p>
      <dl className="facts">
        <dt>{t("requests.client")}</dt>
        <dd>{request.clientCode}</dd>
        <dt>{t("requests.desk")}</dt>
        <dd>{request.desk?.name ?? request.deskCode}</dd>
        <dt>{t("requests.urgency")}</dt>
        <dd>{t(`urgency.${request.urgency}`)}</dd>
        <dt>{t("common.writtenIn")}</dt>
        <dd lang={request.language}>{languageName(request.language)}</dd>
        <dt>{t("requests.owner")}</dt>
        <dd>{request.owner ?? "—"}</dd>
        {request.statusReason && (
          <>
            <dt>{t("requests.reason")}</dt>
            <dd>{request.statusReason}</dd>
          </>
        )}
      </dl>
      <p>{request.description}</p>
      <LinkedRequests request={request} />
      {request.approvals.length > 0 && (
        <>
          <h2>{t("approvals.history")}</h2>
          <ul className="approvals">
            {request.approvals.map((a) => (
              <li key={a.id}>
                {t("approvals.asked", { rules: a.rules.join(", "), at: formatDateTime(a.requestedAt, i18n.language) })}{" "}
                {a.decision ? t(`approvals.decision.${a.decision}`, { comment: a.comment ?? "" }) : t("approvals.pending")}
              </li>
            ))}
          </ul>
        </>
      )}

      <h2>{t("requests.engagements")}</h2>
      <ul className="engagements">
        {request.routings.map((routing) => (
          <li key={routing.id} data-product={routing.productCode}>
            {productName(routing.productCode)}: <Status value={shownStatus(routing)} />
            {routing.declineReason && <span> ({routing.declineReason})</span>}
          </li>
        ))}
      </ul>

      {(role === "desk_officer" || role === "admin") && <DeskActions request={request} actions={actions} onDone={reload} />}
      {actions.includes("split") && <LinkActions request={request} onDone={reload} />}

      <h2>{t("requests.sla")}</h2>
      <ul>
        {request.slaClocks.map((clock) => (
          <li key={clock.clock}>
            {t(`clock.${clock.clock}`, { defaultValue: clock.clock })}: {t("requests.due", { at: formatDateTime(clock.dueAt, i18n.language) })}
            <TimeLeft left={request.slaTimeLeft.find((item) => item.clock === clock.clock)} />
            {clock.breachedAt && <span className="flag breached"> {t("requests.breached")}</span>}
          </li>
        ))}
      </ul>

      {request.suggestions.length > 0 && (
        <>
          <h2>{t("requests.suggestions")}</h2>
          <ul>
            {request.suggestions.map((s) => (
              <li key={s.lessonId}>
                <strong>{s.title}</strong>: {s.summary}
                <br />
                <small>
                  {t("requests.why")}: {s.reasons.join("; ")}
                </small>
              </li>
            ))}
          </ul>
        </>
      )}

      <h2>{t("requests.conversation")}</h2>
      <ul className="comments">
        {request.comments.map((c) => (
          <li key={c.id} className={c.internal ? "internal" : undefined}>
            <strong>{c.author}</strong> {c.internal && <em>({t("requests.internalNote")})</em>} {c.fromRequestId && <em>({t("links.fromMerged")})</em>} ·{" "}
            {formatDateTime(c.createdAt, i18n.language)}
            <p>{c.body}</p>
          </li>
        ))}
      </ul>
      {request.attachments.length > 0 && (
        <>
          <h2>{t("requests.attachments")}</h2>
          <ul>
            {request.attachments.map((a) => (
              <li key={a.id} className={a.internal ? "internal" : undefined}>
                {a.uploaded ? <UploadedFile attachment={a} /> : (
                  <a href={a.url} rel="noreferrer noopener">
                    {a.name}
                  </a>
                )}{" "}
                ({formatNumber(a.sizeBytes, i18n.language, { style: "unit", unit: "byte", unitDisplay: "narrow", notation: "compact" })})
                {a.internal && <em> ({t("requests.uploadInternal")})</em>}
              </li>
            ))}
          </ul>
        </>
      )}
      {actions.includes("attach") && <UploadForm requestId={request.id} internalAllowed={actions.includes("note")} onDone={reload} />}
      <CommentForm requestId={request.id} internalAllowed={actions.includes("note")} onDone={reload} />
      {role === "client" && <ClientActions request={request} actions={actions} onDone={reload} />}

      <h2>{t("requests.timeline")}</h2>
      <ol className="timeline">
        {request.timeline.map((entry, index) => (
          <li key={index}>
            <time dateTime={entry.at}>{formatDateTime(entry.at, i18n.language)}</time> {entry.summary} <small>({entry.actor})</small>
          </li>
        ))}
      </ol>
    </section>
  );
}

type AttachmentView = RequestViewFragment["attachments"][number];

/** An uploaded file: downloaded with the session's token; not before its virus scan. */
function UploadedFile({ attachment }: { attachment: AttachmentView }) {
  const { t } = useTranslation();
  const [failed, setFailed] = useState<string | null>(null);
  if (attachment.scanStatus === "pending") {
    return <span>{attachment.name} <em>({t("requests.scanPending")})</em></span>;
  }
  const download = async () => {
    setFailed(null);
    try {
      await downloadAttachment(attachment.url, attachment.name);
    } catch (error) {
      setFailed(error instanceof DownloadError ? error.code : "INTERNAL");
    }
  };
  return (
    <>
      <button type="button" className="link" onClick={download} aria-label={`${t("requests.download")} ${attachment.name}`}>
        {attachment.name}
      </button>
      {failed && <span role="alert" className="error"> {t(`errors.${failed}`, { defaultValue: t("errors.INTERNAL") })}</span>}
    </>
  );
}

function UploadForm({ requestId, internalAllowed, onDone }: { requestId: string; internalAllowed: boolean; onDone(): void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [internal, setInternal] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; code?: string } | null>(null);
  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    const form = event.currentTarget;
    setOutcome(null);
    setProgress(0);
    try {
      await uploadAttachment(requestId, file, internal, setProgress);
      setOutcome({ ok: true });
      setFile(null);
      form.reset();
      onDone();
    } catch (error) {
      setOutcome({ ok: false, code: error instanceof DownloadError ? error.code : "INTERNAL" });
    } finally {
      setProgress(null);
    }
  }
  return (
    <form onSubmit={onSubmit} aria-label={t("requests.uploadTitle")}>
      <Field id="upload-file" label={t("requests.uploadFile")}>
        <input id="upload-file" type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </Field>
      {internalAllowed && (
        <label className="check">
          <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> {t("requests.uploadInternal")}
        </label>
      )}
      {progress !== null && (
        <p aria-live="polite">
          <progress max={1} value={progress} aria-label={t("requests.uploadTitle")} /> {t("requests.uploading", { percent: Math.round(progress * 100) })}
        </p>
      )}
      {outcome?.ok && <p role="status">{t("requests.uploadDone")}</p>}
      {outcome && !outcome.ok && (
        <div className="error" role="alert">
          <p>{t(`errors.${outcome.code}`, { defaultValue: t("errors.INTERNAL") })}</p>
        </div>
      )}
      <button type="submit" disabled={!file || progress !== null}>
        {t("requests.upload")}
      </button>
    </form>
  );
}

const Comment = graphql(`
  mutation Comment($id: ID!, $body: String!, $internal: Boolean!) {
    commentOnRequest(id: $id, body: $body, internal: $internal) { id }
  }
`);

function CommentForm({ requestId, internalAllowed, onDone }: { requestId: string; internalAllowed: boolean; onDone(): void }) {
  const { t } = useTranslation();
  const [body, setBody, clear] = useDraft(`comment-${requestId}`, "");
  const [internal, setInternal] = useState(false);
  const [state, comment] = useMutation(Comment);
  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    const result = await comment({ id: requestId, body, internal });
    if (!result.error) {
      clear();
      onDone();
    }
  }
  return (
    <form onSubmit={onSubmit}>
      <Field id="comment-body" label={t("requests.comment")}>
        <textarea id="comment-body" rows={3} value={body} onChange={(e) => setBody(e.target.value)} />
      </Field>
      {internalAllowed && (
        <label className="check">
          <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> {t("requests.internalNote")}
        </label>
      )}
      <ErrorList error={state.error} />
      <button type="submit" disabled={!body.trim()}>
        {t("requests.send")}
      </button>
    </form>
  );
}

const Withdraw = graphql(`
  mutation Withdraw($id: ID!, $version: Int!, $reason: String) {
    withdrawRequest(id: $id, expectedVersion: $version, reason: $reason) { id }
  }
`);
const Confirm = graphql(`
  mutation Confirm($id: ID!, $version: Int!, $score: Int, $comment: String) {
    confirmRequest(id: $id, expectedVersion: $version, satisfactionScore: $score, comment: $comment) { id }
  }
`);
const Reopen = graphql(`
  mutation Reopen($id: ID!, $version: Int!, $reason: String) {
    reopenRequest(id: $id, expectedVersion: $version, reason: $reason) { id }
  }
`);
const Dispute = graphql(`
  mutation Dispute($id: ID!, $version: Int!, $reason: String!) {
    disputeRequest(id: $id, expectedVersion: $version, reason: $reason) { id }
  }
`);
const Attach = graphql(`
  mutation Attach($id: ID!, $input: AttachmentInput!) {
    attachToRequest(id: $id, input: $input) { id }
  }
`);

function ClientActions({ request, actions, onDone }: { request: RequestViewFragment; actions: string[]; onDone(): void }) {
  const { t } = useTranslation();
  const [withdrawal, withdraw] = useMutation(Withdraw);
  const [confirmation, confirm] = useMutation(Confirm);
  const [attachment, attach] = useMutation(Attach);
  const [reopening, reopen] = useMutation(Reopen);
  const [dispute, disputeDelivery] = useMutation(Dispute);
  const [reopenReason, setReopenReason] = useState("");
  const [score, setScore] = useState("5");
  const [comment, setComment] = useState("");
  const [reference, setReference] = useState({ name: "", url: "" });
  const done = (result: { error?: unknown }) => !result.error && onDone();
  return (
    <div className="actions">
      {actions.includes("confirm") && (
        <form onSubmit={async (e) => { e.preventDefault(); done(await confirm({ id: request.id, version: request.version, score: Number(score), comment })); }}>
          <Field id="confirm-score" label={t("requests.satisfaction")}>
            <select id="confirm-score" value={score} onChange={(e) => setScore(e.target.value)}>
              {[1, 2, 3, 4, 5].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </Field>
          <Field id="confirm-comment" label={t("requests.satisfactionComment")}>
            <input id="confirm-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          </Field>
          <button type="submit">{t("requests.confirm")}</button>
        </form>
      )}
      {actions.includes("reopen") && (
        <form onSubmit={(e) => e.preventDefault()}>
          <Field id="reopen-reason" label={t("requests.reopenReason")}>
            <input id="reopen-reason" value={reopenReason} onChange={(e) => setReopenReason(e.target.value)} />
          </Field>
          <button type="button" className="secondary" onClick={async () => done(await reopen({ id: request.id, version: request.version, reason: reopenReason || null }))}>
            {t("requests.reopen")}
          </button>{" "}
          <button type="button" className="secondary" onClick={async () => done(await disputeDelivery({ id: request.id, version: request.version, reason: reopenReason }))}>
            {t("requests.dispute")}
          </button>
        </form>
      )}
      {actions.includes("attach") && (
        <form onSubmit={async (e) => { e.preventDefault(); done(await attach({ id: request.id, input: { ...reference, mediaType: "text/uri-list", sizeBytes: 0 } })); }}>
          <Field id="attach-name" label={t("requests.attachmentName")}>
            <input id="attach-name" value={reference.name} onChange={(e) => setReference({ ...reference, name: e.target.value })} />
          </Field>
          <Field id="attach-url" label={t("requests.attachmentUrl")}>
            <input id="attach-url" type="url" value={reference.url} onChange={(e) => setReference({ ...reference, url: e.target.value })} />
          </Field>
          <button type="submit">{t("requests.attach")}</button>
        </form>
      )}
      {actions.includes("withdraw") && (
        <p>
          <button type="button" className="secondary danger" onClick={async () => done(await withdraw({ id: request.id, version: request.version, reason: null }))}>
            {t("requests.withdraw")}
          </button>
        </p>
      )}
      <ErrorList error={withdrawal.error ?? confirmation.error ?? reopening.error ?? dispute.error ?? attachment.error} />
    </div>
  );
}

// The working time a running clock has left on its desk's calendar (or is overdue by).
function TimeLeft({ left }: { left?: { remainingWorkingSeconds?: number | null; paused: boolean } }) {
  const { t } = useTranslation();
  const seconds = left?.remainingWorkingSeconds;
  if (seconds === null || seconds === undefined) return null;
  const minutes = Math.round(Math.abs(seconds) / 60);
  const span = { hours: Math.floor(minutes / 60), minutes: minutes % 60 };
  return (
    <span>
      {" · "}{t(seconds >= 0 ? "requests.workingTimeLeft" : "requests.workingTimeOverdue", span)}
      {left?.paused && ` (${t("requests.clockPaused")})`}
    </span>
  );
}
