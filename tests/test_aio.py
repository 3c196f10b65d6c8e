import asyncio

from workbench.aio import run_sync


async def answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_run_sync_without_a_running_loop() -> None:
    assert run_sync(answer()) == 42


def test_run_sync_inside_a_running_loop_uses_a_worker_thread() -> None:
    async def outer() -> int:
        return run_sync(answer())

    assert asyncio.run(outer()) == 42
