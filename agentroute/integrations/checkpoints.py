"""`SqliteCheckpointer`: one SQLite checkpoint file for graphs run sync or async.

LangGraph's `SqliteSaver` serves `invoke`/`stream` only; its `AsyncSqliteSaver` needs an aiosqlite
connection opened inside the running event loop. This saver is a `SqliteSaver` whose async methods
run on an `AsyncSqliteSaver` opened on the same file for each operation, so one compiled graph
checkpoints the same threads under `invoke` and under `ainvoke`/`astream`/`astream_events`, from any
event loop, and leaves no connection thread behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver


class SqliteCheckpointer(SqliteSaver):
    """A SQLite checkpointer for sync and async runs alike (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(sqlite3.connect(str(self.path), check_same_thread=False))

    @asynccontextmanager
    async def _async_saver(self) -> AsyncIterator[AsyncSqliteSaver]:
        async with aiosqlite.connect(str(self.path)) as connection:
            yield AsyncSqliteSaver(connection, serde=self.serde)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        async with self._async_saver() as saver:
            return await saver.aget_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async with self._async_saver() as saver:
            async for item in saver.alist(config, filter=filter, before=before, limit=limit):
                yield item

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions,
    ) -> RunnableConfig:
        async with self._async_saver() as saver:
            return await saver.aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        async with self._async_saver() as saver:
            await saver.aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        async with self._async_saver() as saver:
            await saver.adelete_thread(thread_id)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Mapping[str, Any]:
        async with self._async_saver() as saver:
            return await saver.aget_delta_channel_history(config=config, channels=channels)
