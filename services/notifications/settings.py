"""Settings of the notifications service (`ONEDOOR_*` variables): the SMTP server
e-mails go to, the mail sender's pace and back-off, the portal's address for links."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, SecretStr

from shared.settings import BatchWaitMs, ServiceSettings
from shared.workers import DeliveryPolicy


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    consumer_batch_wait_ms: BatchWaitMs = 500  # off a request's path (ServiceSettings)
    port: int = 8105

    # The SMTP server (ONEDOOR_SMTP_HOST, _PORT, _FROM, ...). `make run` points these at
    # its local sink (var/mail/); production at the organisation's relay.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "OneDoor <onedoor@localhost>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # Implicit TLS (port 465) or STARTTLS after connecting (port 587); neither on loopback.
    smtp_use_tls: bool = False
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10.0, gt=0)

    # The mail sender: how often it looks for due e-mails, how many it sends per
    # connection, and how it backs off: base * 2^(attempt-1) seconds, capped, then dead.
    mail_send_interval_s: float = Field(default=1.0, gt=0)
    mail_batch_size: int = Field(default=50, ge=1, le=500)
    mail_backoff_base_s: float = Field(default=5.0, gt=0)
    mail_backoff_cap_s: float = Field(default=900.0, gt=0)
    mail_max_attempts: int = Field(default=10, ge=1)
    # A claimed e-mail is hidden from other senders this long; if the process dies
    # mid-send it is due again after it (never lost).
    mail_lease_s: float = Field(default=120.0, gt=0)

    @property
    def mail_delivery(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            batch_size=self.mail_batch_size,
            lease_s=self.mail_lease_s,
            max_attempts=self.mail_max_attempts,
            backoff_base_s=self.mail_backoff_base_s,
            backoff_cap_s=self.mail_backoff_cap_s,
        )

    # Where e-mails link to: the portal's public address.
    portal_base_url: str = "http://127.0.0.1:8000"
    # Who each desk's chief is (desk code -> the chief's subject), e.g.
    # ONEDOOR_DESK_CHIEFS='{"AFRICA_II": "chief-africa-ii"}'. A desk without one hears of
    # an escalation as a whole desk.
    desk_chiefs: dict[str, str] = Field(default_factory=dict)


def _settings(request: Request) -> NotificationsSettings:
    settings: NotificationsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[NotificationsSettings, Depends(_settings)]
