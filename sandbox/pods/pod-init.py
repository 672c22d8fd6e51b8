"""PID 1 of a sandbox pod's PID namespace, as Kubernetes' pause container is in a pod that shares
its process namespace: it keeps the namespace alive and reaps the orphans the kernel re-parents to
it (Patroni starts the postmaster detached, so a crashed postmaster would otherwise stay a zombie
that Patroni takes for a running server). argv[1] is the pod's name, a marker for the sandbox.

SIGCHLD, SIGTERM and SIGINT are blocked and waited for: PID 1 of a namespace gets no default
signal action, so a blocked signal is the way to see them at all.
"""
import os
import signal
import sys

WAITED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass
    except ChildProcessError:
        pass
    if signal.sigwaitinfo(WAITED).si_signo != signal.SIGCHLD:
        sys.exit(0)
