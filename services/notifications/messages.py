"""The e-mails' words in the six UN languages, and the one function that renders an
e-mail: its subject and plain-text body, in the recipient's language, with the link
to the portal. Pure (no I/O), so every language and kind is tested as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.enums import Language, NotificationKind

K = NotificationKind

# Subject per kind; {title} is the request's (or the task's) title, the rest are the
# notification's params.
SUBJECTS: dict[Language, dict[NotificationKind, str]] = {
    Language.en: {
        K.request_status_changed: "Your request is now {to_status}: {title}",
        K.public_comment: "New comment on your request: {title}",
        K.sla_at_risk: "SLA about to breach ({clock}): {title}",
        K.sla_breached: "SLA breached ({clock}): {title}",
        K.engagement_proposed: "New engagement proposed ({product_code}): {title}",
        K.task_assigned: "A task was assigned to you: {title}",
        K.approval_requested: "Approval needed ({rules}): {title}",
        K.approval_decided: "Your request was {decision}: {title}",
        K.request_reopened: "Reopened by its client: {title}",
        K.delivery_disputed: "Delivery disputed by its client: {title}",
        K.request_merged: "Merged with a duplicate request by the desk: {title}",
        K.followed_lesson_changed: "{change_label} ({followed_label} {followed_code}): {title}",
        K.followed_request_changed: "{change_label} ({followed_label} {followed_code}): {title}",
    },
    Language.fr: {
        K.request_status_changed: "Votre demande est maintenant {to_status} : {title}",
        K.public_comment: "Nouveau commentaire sur votre demande : {title}",
        K.sla_at_risk: "Délai SLA bientôt dépassé ({clock}) : {title}",
        K.sla_breached: "Délai SLA dépassé ({clock}) : {title}",
        K.engagement_proposed: "Nouvel engagement proposé ({product_code}) : {title}",
        K.task_assigned: "Une tâche vous a été confiée : {title}",
        K.approval_requested: "Approbation requise ({rules}) : {title}",
        K.approval_decided: "Décision d’approbation sur votre demande ({decision}) : {title}",
        K.request_reopened: "Rouverte par son client : {title}",
        K.delivery_disputed: "Livraison contestée par son client : {title}",
        K.request_merged: "Fusionnée avec une demande en double par le bureau : {title}",
        K.followed_lesson_changed: "{change_label} ({followed_label} {followed_code}) : {title}",
        K.followed_request_changed: "{change_label} ({followed_label} {followed_code}) : {title}",
    },
    Language.es: {
        K.request_status_changed: "Su solicitud está ahora en {to_status}: {title}",
        K.public_comment: "Nuevo comentario en su solicitud: {title}",
        K.sla_at_risk: "SLA a punto de vencer ({clock}): {title}",
        K.sla_breached: "SLA incumplido ({clock}): {title}",
        K.engagement_proposed: "Nuevo compromiso propuesto ({product_code}): {title}",
        K.task_assigned: "Se le asignó una tarea: {title}",
        K.approval_requested: "Se requiere aprobación ({rules}): {title}",
        K.approval_decided: "Decisión de aprobación sobre su solicitud ({decision}): {title}",
        K.request_reopened: "Reabierta por su cliente: {title}",
        K.delivery_disputed: "Entrega impugnada por su cliente: {title}",
        K.request_merged: "Fusionada con una solicitud duplicada por la oficina: {title}",
        K.followed_lesson_changed: "{change_label} ({followed_label} {followed_code}): {title}",
        K.followed_request_changed: "{change_label} ({followed_label} {followed_code}): {title}",
    },
    Language.ar: {
        K.request_status_changed: "أصبحت حالة طلبك {to_status}: {title}",
        K.public_comment: "تعليق جديد على طلبك: {title}",
        K.sla_at_risk: "مهلة مستوى الخدمة على وشك الانقضاء ({clock}): {title}",
        K.sla_breached: "انقضت مهلة مستوى الخدمة ({clock}): {title}",
        K.engagement_proposed: "اقتُرح التزام جديد ({product_code}): {title}",
        K.task_assigned: "أُسندت إليك مهمة: {title}",
        K.approval_requested: "مطلوب اعتماد ({rules}): {title}",
        K.approval_decided: "قرار الاعتماد بشأن طلبك ({decision}): {title}",
        K.request_reopened: "أعاد العميل فتح الطلب: {title}",
        K.delivery_disputed: "اعترض العميل على التسليم: {title}",
        K.request_merged: "دمج المكتب الطلب مع طلب مكرر: {title}",
        K.followed_lesson_changed: "{change_label} ({followed_label} {followed_code}): {title}",
        K.followed_request_changed: "{change_label} ({followed_label} {followed_code}): {title}",
    },
    Language.zh: {
        K.request_status_changed: "您的请求现为 {to_status}：{title}",
        K.public_comment: "您的请求有新评论：{title}",
        K.sla_at_risk: "服务水平时限即将到期（{clock}）：{title}",
        K.sla_breached: "已超出服务水平时限（{clock}）：{title}",
        K.engagement_proposed: "新的服务承接提议（{product_code}）：{title}",
        K.task_assigned: "已为您分配一项任务：{title}",
        K.approval_requested: "需要审批（{rules}）：{title}",
        K.approval_decided: "您的请求的审批决定（{decision}）：{title}",
        K.request_reopened: "客户已重新打开请求：{title}",
        K.delivery_disputed: "客户对交付提出异议：{title}",
        K.request_merged: "服务台已将请求与重复请求合并：{title}",
        K.followed_lesson_changed: "{change_label}（{followed_label} {followed_code}）：{title}",
        K.followed_request_changed: "{change_label}（{followed_label} {followed_code}）：{title}",
    },
    Language.ru: {
        K.request_status_changed: "Статус вашего запроса теперь {to_status}: {title}",
        K.public_comment: "Новый комментарий к вашему запросу: {title}",
        K.sla_at_risk: "Срок SLA скоро истечёт ({clock}): {title}",
        K.sla_breached: "Срок SLA нарушен ({clock}): {title}",
        K.engagement_proposed: "Предложено новое участие ({product_code}): {title}",
        K.task_assigned: "Вам поручена задача: {title}",
        K.approval_requested: "Требуется утверждение ({rules}): {title}",
        K.approval_decided: "Решение об утверждении вашего запроса ({decision}): {title}",
        K.request_reopened: "Клиент снова открыл запрос: {title}",
        K.delivery_disputed: "Клиент оспорил результат: {title}",
        K.request_merged: "Бюро объединило запрос с дублирующим: {title}",
        K.followed_lesson_changed: "{change_label} ({followed_label} {followed_code}): {title}",
        K.followed_request_changed: "{change_label} ({followed_label} {followed_code}): {title}",
    },
}

# What happened to a followed lesson, request or engagement (a notice's `change`), and
# what was followed (its `followed_kind`), in each language.
FOLLOW_CHANGES: dict[Language, dict[str, str]] = {
    Language.en: {
        "lesson_published": "Lesson published",
        "lesson_revised": "Lesson revised",
        "lesson_archived": "Lesson archived",
        "request_opened": "Request opened",
        "request_closed": "Request closed",
        "engagement_opened": "Engagement opened",
        "engagement_closed": "Engagement closed",
    },
    Language.fr: {
        "lesson_published": "Enseignement publié",
        "lesson_revised": "Enseignement révisé",
        "lesson_archived": "Enseignement archivé",
        "request_opened": "Demande ouverte",
        "request_closed": "Demande clôturée",
        "engagement_opened": "Engagement ouvert",
        "engagement_closed": "Engagement clôturé",
    },
    Language.es: {
        "lesson_published": "Lección publicada",
        "lesson_revised": "Lección revisada",
        "lesson_archived": "Lección archivada",
        "request_opened": "Solicitud abierta",
        "request_closed": "Solicitud cerrada",
        "engagement_opened": "Compromiso abierto",
        "engagement_closed": "Compromiso cerrado",
    },
    Language.ar: {
        "lesson_published": "نُشر درس مستفاد",
        "lesson_revised": "نُقّح درس مستفاد",
        "lesson_archived": "أُرشف درس مستفاد",
        "request_opened": "فُتح طلب",
        "request_closed": "أُغلق طلب",
        "engagement_opened": "بدأ التزام",
        "engagement_closed": "انتهى التزام",
    },
    Language.zh: {
        "lesson_published": "经验教训已发布",
        "lesson_revised": "经验教训已修订",
        "lesson_archived": "经验教训已归档",
        "request_opened": "请求已开启",
        "request_closed": "请求已关闭",
        "engagement_opened": "服务承接已开始",
        "engagement_closed": "服务承接已结束",
    },
    Language.ru: {
        "lesson_published": "Опубликован урок",
        "lesson_revised": "Пересмотрен урок",
        "lesson_archived": "Урок отправлен в архив",
        "request_opened": "Открыт запрос",
        "request_closed": "Закрыт запрос",
        "engagement_opened": "Начато участие",
        "engagement_closed": "Завершено участие",
    },
}
FOLLOWED_KINDS: dict[Language, dict[str, str]] = {
    Language.en: {"theme": "theme", "country": "country", "region": "region"},
    Language.fr: {"theme": "thème", "country": "pays", "region": "région"},
    Language.es: {"theme": "tema", "country": "país", "region": "región"},
    Language.ar: {"theme": "الموضوع", "country": "البلد", "region": "المنطقة"},
    Language.zh: {"theme": "主题", "country": "国家", "region": "区域"},
    Language.ru: {"theme": "тема", "country": "страна", "region": "регион"},
}

# The body's two lines around the link, and the footer saying why the e-mail came.
OPEN_IN_PORTAL: dict[Language, str] = {
    Language.en: "Open it in the OneDoor portal:",
    Language.fr: "Ouvrez-la dans le portail OneDoor :",
    Language.es: "Ábrala en el portal OneDoor:",
    Language.ar: "افتحه في بوابة OneDoor:",
    Language.zh: "在 OneDoor 门户中打开：",
    Language.ru: "Откройте его на портале OneDoor:",
}
FOOTER: dict[Language, str] = {
    Language.en: "You receive this e-mail because of your notification preferences in OneDoor.",
    Language.fr: "Vous recevez ce courriel en raison de vos préférences de notification dans OneDoor.",
    Language.es: "Recibe este correo por sus preferencias de notificación en OneDoor.",
    Language.ar: "تتلقى هذه الرسالة بسبب تفضيلات الإشعارات الخاصة بك في OneDoor.",
    Language.zh: "您收到此邮件是因为您在 OneDoor 中的通知偏好设置。",
    Language.ru: "Вы получили это письмо в соответствии с настройками уведомлений в OneDoor.",
}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


class _Blank(dict[str, Any]):
    """A param an older notification lacks renders empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def render_mail(
    kind: NotificationKind,
    language: Language,
    title: str,
    params: dict[str, Any],
    portal_url: str,
) -> RenderedMail:
    values = _Blank({**params, "title": title})
    values["change_label"] = FOLLOW_CHANGES[language].get(params.get("change", ""), "")
    values["followed_label"] = FOLLOWED_KINDS[language].get(params.get("followed_kind", ""), "")
    subject = SUBJECTS[language][kind].format_map(values)
    body = f"{subject}\n\n{OPEN_IN_PORTAL[language]}\n{portal_url}\n\n-- \n{FOOTER[language]}\n"
    return RenderedMail(subject=" ".join(subject.split())[:300], body=body)
