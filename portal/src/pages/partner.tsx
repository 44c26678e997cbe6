// A partner's joint assessments: accept or decline its tasks, post findings.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorList, Field, Loading, Status } from "../components";
import { formatDate } from "../format";
import { useSession } from "../session";

const Assessments = graphql(`
  query Assessments {
    assessments {
      id requestId scope status partners dueOn version
      tasks { id title lead status findings declineReason dueOn }
    }
  }
`);
const AcceptTask = graphql(`
  mutation AcceptTask($id: ID!, $version: Int!, $task: ID!) { acceptAssessmentTask(id: $id, expectedVersion: $version, taskId: $task) { id } }
`);
const DeclineTask = graphql(`
  mutation DeclineTask($id: ID!, $version: Int!, $task: ID!, $reason: String!) { declineAssessmentTask(id: $id, expectedVersion: $version, taskId: $task, reason: $reason) { id } }
`);
const PostFindings = graphql(`
  mutation PostFindings($id: ID!, $version: Int!, $task: ID!, $findings: String!) { postAssessmentFindings(id: $id, expectedVersion: $version, taskId: $task, findings: $findings) { id } }
`);

export function AssessmentsPage() {
  const { t, i18n } = useTranslation();
  const { session } = useSession();
  const [result, refetch] = useQuery({ query: Assessments });
  const [accepted, accept] = useMutation(AcceptTask);
  const [declined, decline] = useMutation(DeclineTask);
  const [posted, post] = useMutation(PostFindings);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const done = (r: { error?: unknown }) => !r.error && refetch({ requestPolicy: "network-only" });
  const mine = session?.claims.partner;
  return (
    <section>
      <h1>{t("partner.assessments")}</h1>
      {/* Assessments have no live feed: the desk activates them elsewhere. */}
      <button type="button" onClick={() => refetch({ requestPolicy: "network-only" })}>{t("common.refresh")}</button>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error ?? accepted.error ?? declined.error ?? posted.error} />
      {result.data?.assessments.length === 0 && <p>{t("common.none")}</p>}
      {result.data?.assessments.map((a) => (
        <article key={a.id} className="card">
          <h2>{a.scope}</h2>
          <p><Status value={a.status} /> · {a.partners.join(", ")} {a.dueOn && `· ${t("provider.due")}: ${formatDate(a.dueOn, i18n.language)}`}</p>
          <ul>
            {a.tasks.map((task) => {
              const id = `task-${task.id}`;
              const text = texts[task.id] ?? "";
              const own = task.lead === mine;
              return (
                <li key={task.id}>
                  <strong>{task.title}</strong> ({task.lead}) <Status value={task.status} />
                  {task.findings && <p className="findings">{task.findings}</p>}
                  {own && task.status === "PROPOSED" && (
                    <button type="button" onClick={async () => done(await accept({ id: a.id, version: a.version, task: task.id }))}>{t("partner.accept")}</button>
                  )}
                  {own && (task.status === "PROPOSED" || task.status === "ACCEPTED") && (
                    <form onSubmit={(e) => e.preventDefault()}>
                      <Field id={id} label={t("partner.findingsOrReason")}>
                        <textarea id={id} rows={3} value={text} onChange={(e) => setTexts({ ...texts, [task.id]: e.target.value })} />
                      </Field>
                      {task.status === "ACCEPTED" && a.status === "ACTIVE" && (
                        <button type="button" disabled={!text.trim()} onClick={async () => done(await post({ id: a.id, version: a.version, task: task.id, findings: text }))}>{t("partner.post")}</button>
                      )}
                      <button type="button" disabled={!text.trim()} onClick={async () => done(await decline({ id: a.id, version: a.version, task: task.id, reason: text }))}>{t("partner.decline")}</button>
                    </form>
                  )}
                </li>
              );
            })}
          </ul>
        </article>
      ))}
    </section>
  );
}
