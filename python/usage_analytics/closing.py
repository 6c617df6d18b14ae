"""`async with` for objects holding resources (sources, stores): `close()` on the way out."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["AsyncClosing"]


class AsyncClosing:
    """An async context manager whose exit awaits `close()` (which by default releases
    nothing: subclasses with connections or caches override it)."""

    async def close(self) -> None:
        """Release connections and caches."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
