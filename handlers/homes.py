"""/homes: a person's homes; moving out (with a confirmation); an owner's list of who is
registered with their home, and removing a tenant or family member who has left."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import memberships
from services.policy import Permission
from views import people as view


@handler
async def list_homes(update: Update, context: BotContext) -> None:
    """/homes: the homes the person is registered with, and what they can do there."""
    await send(update, view.homes(memberships.my_homes(context.actor), context._))


@handler
async def leave(update: Update, context: BotContext) -> None:
    """I have moved out: the question first, then (confirmed) the registration ends."""
    data = view.LeaveHome.parse(callback_data(update))
    if not data.confirmed:
        home = await memberships.leaving(context.session, context.actor, data.household_id)
        await show(update, view.leave_question(home, context._))
        return
    done = await memberships.move_out(
        context.session, context.actor, data.household_id, now=context.now()
    )
    context.mark_actor_changed()
    await show(update, view.moved_out(done.label, context._))


@handler
async def who_lives_here(update: Update, context: BotContext) -> None:
    """An owner's list of who is registered with the home."""
    data = view.HomeMembers.parse(callback_data(update))
    home, found = await memberships.members(context.session, context.actor, data.household_id)
    await send(update, view.members(home, found, context._, context.runtime.settings.tz))


@handler
async def remove(update: Update, context: BotContext) -> None:
    """Remove a tenant or family member: the question first, then (confirmed) it is done."""
    data = view.RemoveMember.parse(callback_data(update))
    if not data.confirmed:
        _m, member, label = await memberships.removable(
            context.session, context.actor, data.membership_id
        )
        await show(update, view.remove_question(member, label, context._))
        return
    done = await memberships.remove_member(
        context.session, context.actor, data.membership_id, now=context.now()
    )
    await show(update, view.removed(done.label, context._))


@handler
async def keep(update: Update, context: BotContext) -> None:
    view.KeepRegistration.parse(callback_data(update))
    await show(update, view.kept(context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "homes",
            N_("My homes: moving out, who is registered"),
            Permission.MEMBERSHIP_END,
            order=89,
        )
    )
    app.add_handler(CommandHandler("homes", list_homes))
    app.add_handler(CallbackQueryHandler(leave, pattern=view.LeaveHome.pattern()))
    app.add_handler(CallbackQueryHandler(who_lives_here, pattern=view.HomeMembers.pattern()))
    app.add_handler(CallbackQueryHandler(remove, pattern=view.RemoveMember.pattern()))
    app.add_handler(CallbackQueryHandler(keep, pattern=view.KeepRegistration.pattern()))
