"""Control flow: scf.for (tile loops), scf.if and scf.while (`if` and
`while` on device values; a condition is one program's scalar) and tt.call
(kept for tests, see below)."""
from __future__ import annotations

import torch

from helion.exc import CpuExecutionError

from .plan import run_block, run_steps, step_op


@step_op("scf.for")
def _for(o):
    lb, ub, stp = o.ins[:3]
    inits = o.ins[3:]
    body = o.region(0)
    iv, iter_slots = body.args[0], body.args[1:]
    ivdt = o.in_types[0].dtype
    steps, term, outs = body.steps, body.term, o.outs

    def step(env):
        lo, hi, s = int(env[lb]), int(env[ub]), int(env[stp])
        if s <= 0:
            raise CpuExecutionError(f"{env[0].where()}: {o.desc}: step {s} is not positive")
        vals = [env[i] for i in inits]
        for i in range(lo, hi, s):
            env[iv] = torch.tensor(i, dtype=ivdt)
            for slot, v in zip(iter_slots, vals):
                env[slot] = v
            run_steps(steps, env)
            vals = [env[t] for t in term]
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step


@step_op("scf.if")
def _if(o):
    (cond,) = o.ins
    then_p, else_p = o.region(0), o.region(1)
    outs = o.outs

    def step(env):
        plan = then_p if bool(env[cond]) else else_p
        if plan is None:
            return
        vals = run_block(plan, env, ())
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step


@step_op("scf.while")
def _while(o):
    before, after = o.region(0), o.region(1)
    inits, outs = o.ins, o.outs

    def step(env):
        vals = [env[i] for i in inits]
        while True:
            cond, *fwd = run_block(before, env, vals)
            if not bool(cond):
                break
            vals = run_block(after, env, fwd)
        for slot, v in zip(outs, fwd):
            env[slot] = v
    return step


# Not emitted by the lowering (helpers are inlined when tracing); stays for
# test_call.
@step_op("tt.call")
def _call(o):
    callee = str(o.attrs["callee"]).lstrip("@")
    comp = o.comp
    ins, outs = o.ins, o.outs
    if callee not in comp.module_funcs:
        raise o.error(f"calls unknown function @{callee}")
    holder = {}

    def step(env):
        fn = holder.get("fn")
        if fn is None:
            fn = holder["fn"] = comp.compile_callee(callee)
        sub = [None] * fn.nslots
        sub[0] = env[0]
        vals = run_block(fn.body, sub, [env[i] for i in ins])
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step
