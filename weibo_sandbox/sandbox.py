"""One running sandbox: configuration (as started and as overridden), the platform, faults, pushes, traffic, and
the background duties (saving state, ambient traffic)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time

from .config import SandboxConfig
from .faults import Faults
from .platform import Platform
from .push import Pusher
from .traffic import DataSource, Traffic

log = logging.getLogger("weibo_sandbox")

SAVE_INTERVAL = 5.0  # seconds between state-file saves while something changed


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.initial = config.copy()  # what reset returns to
        self.config = config.copy()  # mutated in place: platform, pusher and traffic hold this very object
        self.data = DataSource(config.data_dir) if config.data_dir else None
        self.platform = Platform(self.config)
        if config.state_file and config.state_file.exists():
            self.platform.load(config.state_file)
        else:
            self.platform.seed()
        self.faults = Faults()
        self.fault_rng = random.Random(config.seed)  # noqa: S311 - fault fractions are reproducible for a given seed
        self.pusher = Pusher(self.config)
        self.traffic = Traffic(self.platform, self.pusher, self.data)
        self.saved_version = -1
        self.saver: asyncio.Task | None = None
        self.started = time.time()

    async def startup(self) -> None:
        self.traffic.set_ambient(self.config.traffic_per_minute)
        if self.config.state_file:
            self.saver = asyncio.get_running_loop().create_task(self._save_periodically())

    async def shutdown(self) -> None:
        self.traffic.set_ambient(0)
        self.traffic.stop_all()
        if self.saver is not None:
            self.saver.cancel()
            await asyncio.gather(self.saver, return_exceptions=True)
        self.save()
        await self.pusher.close()

    def save(self) -> None:
        if self.config.state_file and self.platform.version != self.saved_version:
            version = self.platform.version
            self.platform.save(self.config.state_file)
            self.saved_version = version

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(SAVE_INTERVAL)
            try:
                self.save()
            except OSError:
                log.exception("saving %s failed", self.config.state_file)

    async def reset(self) -> None:
        """Back to the seeded world of the starting seed; faults, limits and config overrides cleared. Pushes
        still being delivered belong to the old world: they stop, and the connections to their receiver close."""
        self.traffic.stop_all()
        await self.pusher.close()
        for item in dataclasses.fields(SandboxConfig):
            setattr(self.config, item.name, getattr(self.initial, item.name))
        self.config.limits = dict(self.initial.limits)
        self.faults = Faults()
        self.fault_rng = random.Random(self.config.seed)  # noqa: S311 - reproducible, not secret
        self.platform.requests.clear()
        self.pusher.attempts.clear()
        self.platform.seed()
        self.traffic.set_ambient(self.config.traffic_per_minute)

    def health(self) -> dict:
        return {
            "ok": True,
            **self.platform.counts(),
            "traffic_per_minute": self.traffic.ambient_rate,
            "scenario_runs": len(self.traffic.runs),
            "pushes_in_flight": len(self.pusher.tasks),
            "uptime_seconds": round(time.time() - self.started, 3),
            "seed": self.config.seed,
        }
