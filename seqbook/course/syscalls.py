"""What a student's process may not ask of the kernel, whatever its Python code does.

The audit hook (``seqbook.course.sandbox``) refuses starting processes and sending
signals at the Python level; a submission that found a way around it would still meet
these kernel-level limits, installed in the student's process before its cells run:

- no new privileges, and when grading as root, no capabilities at all: the process
  cannot trace the grader's processes or open their descriptors through /proc (they
  are not dumpable, see ``sandbox.undumpable``);
- a seccomp filter (x86-64 Linux) that fails with EPERM the system calls that start
  processes (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``, ``execve``), send
  signals (``kill``, ``tkill``, ``tgkill``, ``rt_sigqueueinfo``, ``pidfd_send_signal``),
  trace or read other processes (``ptrace``, ``process_vm_readv``/``writev``), and
  open sockets other than Unix ones; ``clone3`` answers ENOSYS, so threads fall back to
  ``clone``.

``restrict`` returns what it could install, so that the grader can say when the
filter is missing (another architecture, a kernel without seccomp).
"""

import ctypes
import errno
import os
import platform

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AUDIT_ARCH_X86_64 = 0xC000003E
CLONE_THREAD = 0x00010000
AF_UNIX = 1
X32_BIT = 0x40000000

# x86-64 system call numbers
CLONE, FORK, VFORK, EXECVE, KILL, PTRACE, SOCKET = 56, 57, 58, 59, 62, 101, 41
DENIED = {
    FORK: "fork", VFORK: "vfork", EXECVE: "execve", 322: "execveat", KILL: "kill",
    200: "tkill", 234: "tgkill", 129: "rt_sigqueueinfo", 297: "rt_tgsigqueueinfo",
    424: "pidfd_send_signal", PTRACE: "ptrace", 310: "process_vm_readv",
    311: "process_vm_writev",
}
CLONE3 = 435

# classic BPF
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
RET_KILL = 0x00000000
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def program():
    """The filter as a list of (code, jt, jf, k) instructions."""
    deny = RET_ERRNO | errno.EPERM
    code = [(LD_W_ABS, 0, 0, ARCH), (JEQ_K, 1, 0, AUDIT_ARCH_X86_64), (RET_K, 0, 0, RET_KILL),
            (LD_W_ABS, 0, 0, NR), (JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, deny)]
    for number in sorted(DENIED):
        code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, deny)]
    code += [(JEQ_K, 0, 1, CLONE3), (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),
             (JEQ_K, 0, 4, CLONE), (LD_W_ABS, 0, 0, ARG0), (JSET_K, 1, 0, CLONE_THREAD),
             (RET_K, 0, 0, deny), (RET_K, 0, 0, RET_ALLOW),
             (JEQ_K, 0, 3, SOCKET), (LD_W_ABS, 0, 0, ARG0), (JEQ_K, 1, 0, AF_UNIX),
             (RET_K, 0, 0, deny), (RET_K, 0, 0, RET_ALLOW)]
    return code


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint), ("permitted", ctypes.c_uint),
                ("inheritable", ctypes.c_uint)]


def _drop_capabilities(libc):
    """Clear every capability of this process (it keeps its user id)."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    return libc.capset(ctypes.byref(header), data) == 0


def restrict():
    """Install the limits above in this process; returns the names of what is in force."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return []
    done = []
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        done.append("no new privileges")
    if os.geteuid() == 0 and _drop_capabilities(libc):
        done.append("no capabilities")
    if platform.machine() == "x86_64" and "no new privileges" in done:
        instructions = (_Instruction * len(program()))(*program())
        filter_program = _Program(len(instructions), instructions)
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(filter_program),
                      0, 0) == 0:
            done.append("seccomp")
    return done
