// The approval step: the approver's queue, the decision on one request (approve, or
// reject with the reason the client reads), and the rules on the admin page. Each
// decision sends the version the approver saw; the desks service checks who decides.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ApprovalRuleInput } from "../gql/graphql";
import { ErrorList, Field, Loading } from "../components";
import { formatDateTime } from "../format";

const ApprovalQueue = graphql(`
  query ApprovalQueue {
    approvalQueue(limit: 100) { id title clientCode urgency createdAt approvals { rules decision } }
  }
`);
const Approve = graphql(`
  mutation ApproveRequest($id: ID!, $version: Int!, $comment: String) {
    approveRequest(id: $id, expectedVersion: $version, comment: $comment) { id version status }
  }
`);
const RejectApproval = graphql(`
  mutation RejectApproval($id: ID!, $version: Int!, $comment: String!) {
    rejectApproval(id: $id, expectedVersion: $version, comment: $comment) { id version status }
  }
`);

export function ApprovalQueuePage() {
  const { t, i18n } = useTranslation();
  const [result] = useQuery({ query: ApprovalQueue, requestPolicy: "cache-and-network" });
  const queue = result.data?.approvalQueue ?? [];
  return (
    <section>
      <h1>{t("approvals.queue")}</h1>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error} />
      {result.data && queue.length === 0 && <p>{t("approvals.empty")}</p>}
      {queue.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("requests.title")}</th>
              <th scope="col">{t("requests.client")}</th>
              <th scope="col">{t("requests.urgency")}</th>
              <th scope="col">{t("approvals.rules")}</th>
              <th scope="col">{t("requests.submitted")}</th>
            </tr>
          </thead>
          <tbody>
            {queue.map((request) => (
              <tr key={request.id}>
                <td><Link to={`/requests/${request.id}`}>{request.title}</Link></td>
                <td>{request.clientCode}</td>
                <td>{t(`urgency.${request.urgency}`)}</td>
                <td>{request.approvals.filter((a) => !a.decision).flatMap((a) => a.rules).join(", ")}</td>
                <td>{formatDateTime(request.createdAt, i18n.language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface DecisionProps {
  request: { id: string; version: number };
  onDone(): void;
}

/** Approve, or reject with a comment (required: the client reads it as the reason). */
export function ApprovalDecision({ request, onDone }: DecisionProps) {
  const { t } = useTranslation();
  const [comment, setComment] = useState("");
  const [approved, approve] = useMutation(Approve);
  const [rejected, reject] = useMutation(RejectApproval);
  const base = { id: request.id, version: request.version };
  const done = (result: { error?: unknown }) => !result.error && onDone();
  return (
    <form className="approval" onSubmit={(e) => e.preventDefault()}>
      <h3>{t("approvals.decide")}</h3>
      <Field id="approval-comment" label={t("approvals.comment")}>
        <textarea id="approval-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
      </Field>
      <button type="button" onClick={async () => done(await approve({ ...base, comment: comment.trim() || null }))}>
        {t("approvals.approve")}
      </button>
      <button type="button" disabled={!comment.trim()} onClick={async () => done(await reject({ ...base, comment }))}>
        {t("approvals.reject")}
      </button>
      <ErrorList error={approved.error ?? rejected.error} />
    </form>
  );
}

const ApprovalRules = graphql(`
  query ApprovalRules {
    approvalRules { id name deskCode productCode urgency clientKind active version }
  }
`);
const UpdateRule = graphql(`
  mutation UpdateApprovalRule($id: ID!, $version: Int!, $input: ApprovalRuleInput!) {
    updateApprovalRule(id: $id, expectedVersion: $version, input: $input) { id version active }
  }
`);

/** The approval rules, for the admin page: what each asks, and turning it on or off. */
export function ApprovalRulesSection() {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: ApprovalRules });
  const [updated, update] = useMutation(UpdateRule);
  const any = t("approvals.any");
  return (
    <>
      <h2>{t("approvals.rulesTitle")}</h2>
      <ErrorList error={result.error ?? updated.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("approvals.ruleName")}</th>
            <th scope="col">{t("admin.desk")}</th>
            <th scope="col">{t("approvals.product")}</th>
            <th scope="col">{t("requests.urgency")}</th>
            <th scope="col">{t("approvals.clientKind")}</th>
            <th scope="col">{t("approvals.state")}</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.approvalRules.map((rule) => {
            const input: ApprovalRuleInput = {
              name: rule.name, deskCode: rule.deskCode, productCode: rule.productCode, urgency: rule.urgency,
              clientKind: rule.clientKind,
              active: !rule.active,
            };
            return (
              <tr key={rule.id}>
                <td>{rule.name}</td>
                <td>{rule.deskCode ?? any}</td>
                <td>{rule.productCode ?? any}</td>
                <td>{rule.urgency ? t(`urgency.${rule.urgency}`) : any}</td>
                <td>{rule.clientKind ? t(`clientKind.${rule.clientKind}`) : any}</td>
                <td>
                  {rule.active ? t("admin.active") : t("admin.inactive")}{" "}
                  <button
                    type="button"
                    aria-label={t(rule.active ? "approvals.turnOffRule" : "approvals.turnOnRule", { name: rule.name })}
                    onClick={async () => {
                      const answer = await update({ id: rule.id, version: rule.version, input });
                      if (!answer.error) refetch({ requestPolicy: "network-only" });
                    }}
                  >
                    {rule.active ? t("approvals.turnOff") : t("approvals.turnOn")}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
