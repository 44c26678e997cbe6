import { Suspense, lazy, useEffect, useMemo } from "react";
import { Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { Provider } from "urql";
import { createGatewayClient } from "./client";
import { LANGUAGES, directionOf } from "./i18n";
import { NAVIGATION, homeOf } from "./roles";
import { useSession } from "./session";
// Each role's screens load when first opened: the sign-in page needs none of them.
const page = <K extends string>(load: () => Promise<Record<K, React.ComponentType>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })));
const AdminPage = page(() => import("./pages/admin"), "AdminPage");
const ApprovalQueuePage = page(() => import("./pages/approvals"), "ApprovalQueuePage");
const DeskMetricsPage = page(() => import("./pages/desk"), "DeskMetricsPage");
const DeskQueuePage = page(() => import("./pages/desk"), "DeskQueuePage");
const DraftsPage = page(() => import("./pages/lessons"), "DraftsPage");
const EditLessonPage = page(() => import("./pages/lessonEditor"), "EditLessonPage");
const NewLessonPage = page(() => import("./pages/lessonEditor"), "NewLessonPage");
const LessonPage = page(() => import("./pages/lessons"), "LessonPage");
const LessonsPage = page(() => import("./pages/lessons"), "LessonsPage");
const AssessmentsPage = page(() => import("./pages/partner"), "AssessmentsPage");
const CapacityPage = page(() => import("./pages/provider"), "CapacityPage");
const EngagementPage = page(() => import("./pages/provider"), "EngagementPage");
const ProviderQueuePage = page(() => import("./pages/provider"), "ProviderQueuePage");
const MyRequestsPage = page(() => import("./pages/requests"), "MyRequestsPage");
const NewRequestPage = page(() => import("./pages/requests"), "NewRequestPage");
const RequestPage = page(() => import("./pages/requests"), "RequestPage");
const NotificationPreferencesPage = page(() => import("./pages/notifications"), "NotificationPreferencesPage");
const WhoDoesWhatPage = page(() => import("./pages/insights"), "WhoDoesWhatPage");
import { AuthCallbackPage, SignInPage } from "./pages/SignIn";
import { NotificationBell } from "./pages/notifications";

function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  return (
    <div className="language">
      <label htmlFor="language">{t("common.language")}</label>
      <select id="language" value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
        {LANGUAGES.map((l) => <option key={l.code} value={l.code} lang={l.code}>{l.name}</option>)}
      </select>
    </div>
  );
}

export function App() {
  const { t, i18n } = useTranslation();
  const { session, signOut, expire } = useSession();
  const location = useLocation();
  const client = useMemo(() => (session ? createGatewayClient(session.token, expire) : null), [session, expire]);

  useEffect(() => {
    document.documentElement.lang = i18n.language;
    document.documentElement.dir = directionOf(i18n.language);
    document.title = t("app.name");
  }, [i18n.language, t]);

  const header = (
    <header>
      <a className="brand" href="/">{t("app.name")}</a>
      {session && (
        <nav aria-label={t("nav.main")}>
          {NAVIGATION[session.claims.role].map((item) => (
            <NavLink key={item.to} to={item.to} end>{t(item.label)}</NavLink>
          ))}
        </nav>
      )}
      <LanguageSwitcher />
      {session && client && <NotificationBell />}
      {session && (
        <div className="who">
          <span>{t(`role.${session.claims.role}`)} · {session.claims.client ?? session.claims.desk ?? session.claims.partner ?? session.claims.products?.join(", ") ?? session.claims.sub}</span>
          <button type="button" onClick={signOut}>{t("signIn.signOut")}</button>
        </div>
      )}
    </header>
  );

  if (!session || !client) {
    return (
      <>
        {header}
        <main>
          <Routes>
            <Route path="/signin" element={<SignInPage />} />
            <Route path="/auth/callback" element={<AuthCallbackPage />} />
            <Route path="*" element={<Navigate to="/signin" replace state={{ from: location.pathname === "/signin" ? undefined : location.pathname }} />} />
          </Routes>
        </main>
      </>
    );
  }
  return (
    <Provider value={client}>
      {header}
      <main>
        <Suspense fallback={<p aria-live="polite">{t("common.loading")}</p>}>
        <Routes>
          <Route path="/" element={<Navigate to={homeOf(session.claims.role)} replace />} />
          {/* Just signed in: back to where the person was going (or was when it expired). */}
          <Route path="/signin" element={<Navigate to={(location.state as { from?: string } | null)?.from ?? homeOf(session.claims.role)} replace />} />
          <Route path="/requests" element={<MyRequestsPage />} />
          <Route path="/requests/new" element={<NewRequestPage />} />
          <Route path="/requests/:id" element={<RequestPage />} />
          <Route path="/desk" element={<DeskQueuePage />} />
          <Route path="/desk/metrics" element={<DeskMetricsPage />} />
          <Route path="/desk/approvals" element={<ApprovalQueuePage />} />
          <Route path="/provider" element={<ProviderQueuePage />} />
          <Route path="/provider/capacity" element={<CapacityPage />} />
          <Route path="/engagements/:id" element={<EngagementPage />} />
          <Route path="/assessments" element={<AssessmentsPage />} />
          <Route path="/lessons" element={<LessonsPage />} />
          <Route path="/lessons/drafts" element={<DraftsPage />} />
          <Route path="/lessons/new" element={<NewLessonPage />} />
          <Route path="/lessons/:id/edit" element={<EditLessonPage />} />
          <Route path="/lessons/:id" element={<LessonPage />} />
          <Route path="/admin" element={<AdminPage />} />
          <Route path="/insights" element={<WhoDoesWhatPage />} />
          <Route path="/notifications/preferences" element={<NotificationPreferencesPage />} />
          <Route path="*" element={<p>{t("errors.NOT_FOUND")}</p>} />
        </Routes>
        </Suspense>
      </main>
    </Provider>
  );
}
