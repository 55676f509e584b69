"""Tables of the gateway: rate budgets when there is no Redis, and verified fan-service pushes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """Calls spent from one budget (``scope`` × ``kind``) in one clock hour (database store)."""

    scope = models.CharField(max_length=100)  # "account:<id>" or "ip:<server>"
    kind = models.CharField(max_length=20)  # calls, posts, comments, messages
    window_start = models.DateTimeField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "kind", "window_start"], name="rate_counter_unique")]

    def __str__(self):
        return f"{self.scope} {self.kind} {self.window_start:%Y-%m-%d %H}h: {self.used}"


class RateBlock(models.Model):
    """The platform said this budget is spent (10022/10023/10024/20016): no calls until ``until``."""

    scope = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "kind"], name="rate_block_unique")]

    def __str__(self):
        return f"{self.scope} {self.kind} until {self.until:%Y-%m-%d %H:%M}"


class PushEvent(models.Model):
    """A private message or event that the fan-service platform pushed, signature verified.

    Stored as received; the inbox turns them into conversations. ``digest`` makes a redelivered push
    (the platform retries) a no-op.
    """

    digest = models.CharField(max_length=64, unique=True)
    msg_type = models.CharField(_("type"), max_length=20)
    subtype = models.CharField(_("subtype"), max_length=40, blank=True)
    sender_id = models.CharField(_("sender uid"), max_length=20)
    receiver_id = models.CharField(_("receiver uid"), max_length=20, db_index=True)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("sent at"), null=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("fan-service push")
        verbose_name_plural = _("fan-service pushes")

    def __str__(self):
        return f"{self.msg_type} {self.sender_id}→{self.receiver_id}"


class PushNonce(models.Model):
    """A signed push query seen once (``key`` hashes its timestamp and nonce), with what it carried.

    The same query with the same content is the platform retrying; with other content, a replay.
    Rows older than twice the clock-skew window are deleted as new ones arrive.
    """

    key = models.CharField(max_length=64, unique=True)
    digest = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key[:12]} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
