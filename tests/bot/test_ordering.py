"""Different users concurrently, one user's updates in order (advisor.telegram.ordering)."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from advisor.telegram.ordering import PerUserOrder


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "A", is_bot=False)
    message = Message(update_id, None, Chat(user_id, "private"), from_user=user, text="hi")
    return Update(update_id, message=message)


async def test_one_users_updates_keep_their_order_while_others_go_ahead() -> None:
    processor = PerUserOrder()
    done: list[tuple[int, int]] = []
    slow_first = asyncio.Event()

    async def handle(update_id: int, user_id: int, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        done.append((user_id, update_id))

    tasks = [asyncio.create_task(processor.process_update(_update(1, 7), handle(1, 7, slow_first)))]
    tasks += [asyncio.create_task(processor.process_update(_update(n, 7), handle(n, 7))) for n in (2, 3)]
    tasks.append(asyncio.create_task(processor.process_update(_update(4, 8), handle(4, 8))))
    await asyncio.sleep(0.01)
    assert done == [(8, 4)]  # another user is not held up by user 7's slow first update
    slow_first.set()
    await asyncio.gather(*tasks)
    assert done == [(8, 4), (7, 1), (7, 2), (7, 3)]
    assert processor._turns == {}  # nothing kept for users who are done
