"""off_loop: a login's scrypt under the gevent worker lets the worker's other requests run.
Checked in a child process, which gevent patches as gunicorn's gevent worker does."""
import os
import subprocess
import sys
import textwrap

from irq_server.service.cooperative import gevent_patched, off_loop

import irq_server

CHILD = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import gevent, sys, time
    from werkzeug.security import check_password_hash, generate_password_hash
    from irq_server.service.cooperative import gevent_patched, off_loop

    stored = generate_password_hash("a password")
    direct = off_loop if sys.argv[1] == "off_loop" else (lambda f, *a: f(*a))
    ticks = []

    def other_requests():
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.005)

    ticker = gevent.spawn(other_requests)
    gevent.sleep(0.02)
    before = len(ticks)
    ok = [direct(check_password_hash, stored, "a password") for _ in range(3)]
    during = len(ticks) - before
    ticker.kill()
    print(gevent_patched(), all(ok), during)
""")


def _ticks_while_hashing(mode: str) -> tuple[str, str, int]:
    package_root = os.path.dirname(os.path.dirname(irq_server.__file__))
    env = {**os.environ, "PYTHONPATH": package_root}
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                         timeout=60, check=True, env=env).stdout.split()
    return out[0], out[1], int(out[2])


def test_scrypt_in_the_thread_pool_lets_other_greenlets_run():
    patched, ok, ticks = _ticks_while_hashing("off_loop")
    assert (patched, ok) == ("True", "True")
    assert ticks >= 5  # three checks take ~0.1 s each: the others ran meanwhile
    patched, ok, ticks = _ticks_while_hashing("direct")
    assert ticks <= 1  # the contrast: called directly, nobody else runs


def test_outside_gevent_it_is_a_plain_call():
    assert not gevent_patched()
    assert off_loop(max, 3, 7) == 7
