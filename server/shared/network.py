"""A server's World: its own when it runs alone, or its replica of the network on Redis (``--bus``)."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from server.accounts import AccountStore
from server.accounts.store import accounts_path
from server.config import Config, ConfigError
from server.domain import World
from server.log import SharedLog
from server.log.durable import DurableLog
from server.shared.locked import LockedWorld
from server.wiring import login_policy, open_accounts_for

if TYPE_CHECKING:
    import redis

__all__ = ["CLUSTER", "connect_bus", "fence_process", "open_network", "worker_prefix"]

CLUSTER = "redis-cluster://"

log = logging.getLogger("chat-server")


def worker_prefix(config: Config) -> str:
    """What a worker's connection ids start with: on a network, this node's incarnation."""
    return f"{config.incarnation}/" if config.bus else ""


def fence_process(pid: int) -> Callable[[str], None]:
    """What a node does when it may have been declared dead: drop every client and stop (``pid`` is the server)."""

    def fence(why: str) -> None:
        log.critical("leaving the network: %s; dropping every client and stopping", why)
        os.kill(pid, signal.SIGTERM)

    return fence


def connect_bus(url: str) -> redis.Redis:
    """A client for ``redis://``, ``rediss://``, ``unix://`` or ``redis-cluster://HOST:PORT[,HOST:PORT...]``."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    timeouts: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2}
    if not url.startswith(CLUSTER):
        return redis.Redis.from_url(url, health_check_interval=10, **timeouts)
    nodes = []
    for address in url.removeprefix(CLUSTER).split("/")[0].split(","):
        host, _, port = address.rpartition(":")
        nodes.append(ClusterNode(host or "127.0.0.1", int(port or 6379)))  # type: ignore[no-untyped-call]
    # A RedisCluster has a Redis's commands, routed to the master of each key's slot.
    return cast("redis.Redis", RedisCluster(startup_nodes=nodes, **timeouts))


def open_network(config: Config, source: DurableLog,
                 fence: Callable[[str], None]) -> tuple[World, AccountStore, SharedLog, Callable[[], None]]:
    """The World and the accounts to serve, the log to serve from (``source``, or on a network ``source``
    with the network's history), and what stops their machinery (closing the accounts)."""
    if not config.bus:
        accounts = open_accounts_for(config)
        world = LockedWorld(source, archive=source, server_name=config.server_name, registered=accounts.channel_names())
        return world, accounts, source, accounts.close
    import redis

    from .network_history import HistoryWriter, NetworkHistory, rewrite_history_of
    from .network_log import NetworkLog, StampedLog
    from .nodes import NodeWatch
    from .replication import ReplicatedAccounts, ReplicatedWorld, Replication

    client = connect_bus(config.bus)
    replication = Replication(client, config.incarnation, on_lost=fence)
    days, most = config.history_days or None, config.history_max_per_target or None
    writer = HistoryWriter(client, days, most)
    replication.rider = writer
    accounts = ReplicatedAccounts(accounts_path(config.data_dir), replication, login_policy(config))
    world = ReplicatedWorld(StampedLog(source, replication, writer), replication, archive=source,
                            server_name=config.server_name, registered=accounts.channel_names())
    served = NetworkLog(source, NetworkHistory(client, days))
    watch = NodeWatch(client, world, config.incarnation, fence, config.node_timeout,
                      on_reaped=rewrite_history_of(source, writer))
    try:
        watch.start()
        replication.start()
    except redis.RedisError as exc:
        accounts.close()
        raise ConfigError(f"chat-server: cannot reach the bus {config.bus}: {exc}") from None
    log.info("node %s on the network at %s", config.incarnation, config.bus)

    def stop() -> None:
        watch.stop()
        replication.stop()
        client.close()
        accounts.close()

    return world, accounts, cast(SharedLog, served), stop
