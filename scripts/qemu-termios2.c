/*
 * The termios2 ioctls for programs emulated by qemu-user, which lacks them before 10.x.
 *
 * The serialport crate sets a tty's baud rate through TCGETS2/TCSETS2 (struct termios2 with its
 * c_ispeed/c_ospeed), which every Linux kernel since 2.6.20 serves; qemu-user 7.2 answers them
 * with ENOSYS, so opening a pseudo-terminal as a serial port fails under emulation. Preloaded
 * into the emulated process by scripts/qemu-run, this ioctl() serves them with the classic
 * TCGETS/TCSETS* (whose struct is the head of termios2) and the Bnnn speed codes, as the kernel
 * itself does for the standard rates. Every other request goes to the kernel unchanged.
 *
 * Test equipment only: it is never part of a build of the tools.
 */
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { tcflag_t code; speed_t rate; } speeds[] = {
    {B0, 0},           {B50, 50},           {B75, 75},           {B110, 110},
    {B134, 134},       {B150, 150},         {B200, 200},         {B300, 300},
    {B600, 600},       {B1200, 1200},       {B1800, 1800},       {B2400, 2400},
    {B4800, 4800},     {B9600, 9600},       {B19200, 19200},     {B38400, 38400},
    {B57600, 57600},   {B115200, 115200},   {B230400, 230400},   {B460800, 460800},
    {B500000, 500000}, {B576000, 576000},   {B921600, 921600},   {B1000000, 1000000},
    {B1152000, 1152000}, {B1500000, 1500000}, {B2000000, 2000000}, {B2500000, 2500000},
    {B3000000, 3000000}, {B3500000, 3500000}, {B4000000, 4000000},
};
#define SPEEDS (sizeof speeds / sizeof speeds[0])

static speed_t rate_of(tcflag_t code) {
    for (unsigned i = 0; i < SPEEDS; i++)
        if (speeds[i].code == code) return speeds[i].rate;
    return 0;
}

/* The Bnnn code of a rate; BOTHER when there is none (the kernel then refuses it: EINVAL). */
static tcflag_t code_of(speed_t rate) {
    for (unsigned i = 0; i < SPEEDS; i++)
        if (speeds[i].rate == rate) return speeds[i].code;
    return BOTHER;
}

/* The emulated process's children are emulated again through the runner, which preloads this
 * anew; native children (node, bash) must not inherit a library of another architecture. */
__attribute__((constructor)) static void forget_the_preload(void) { unsetenv("LD_PRELOAD"); }

int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);

    if (request == TCGETS2) {
        struct termios2 *t = arg;
        long r = syscall(SYS_ioctl, fd, TCGETS, arg);
        if (r == 0) {
            t->c_ospeed = rate_of(t->c_cflag & CBAUD);
            tcflag_t input = (t->c_cflag >> IBSHIFT) & CBAUD;
            t->c_ispeed = input ? rate_of(input) : t->c_ospeed;
        }
        return (int)r;
    }
    if (request == TCSETS2 || request == TCSETSW2 || request == TCSETSF2) {
        struct termios2 t = *(const struct termios2 *)arg;
        if ((t.c_cflag & CBAUD) == BOTHER) {
            tcflag_t code = code_of(t.c_ospeed);
            if (code == BOTHER) {
                errno = EINVAL;
                return -1;
            }
            t.c_cflag = (t.c_cflag & ~CBAUD) | code;
        }
        if (((t.c_cflag >> IBSHIFT) & CBAUD) == BOTHER) {
            tcflag_t code = code_of(t.c_ispeed);
            if (code == BOTHER) {
                errno = EINVAL;
                return -1;
            }
            t.c_cflag = (t.c_cflag & ~(CBAUD << IBSHIFT)) | (code << IBSHIFT);
        }
        unsigned long plain = request == TCSETS2 ? TCSETS : request == TCSETSW2 ? TCSETSW : TCSETSF;
        return (int)syscall(SYS_ioctl, fd, plain, &t);
    }
    return (int)syscall(SYS_ioctl, fd, request, arg);
}
