// SPDX-License-Identifier: MIT
/*
 * subprocess.c - see subprocess.h.
 */
#include "subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Open path onto fd; returns 0 or -1. */
static int redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags, 0644);

	if (f < 0)
		return -1;
	if (f != fd && (dup2(f, fd) < 0 || close(f)))
		return -1;
	return 0;
}

/* In the child: the folder and the streams of io. */
static int child_setup(const struct wl_spawn_io *io)
{
	int wr = O_WRONLY | O_CREAT | (io->append ? O_APPEND : O_TRUNC);

	if (io->dir && chdir(io->dir))
		return -1;
	if (io->in && redirect(STDIN_FILENO, io->in, O_RDONLY))
		return -1;
	if (io->out && redirect(STDOUT_FILENO, io->out, wr))
		return -1;
	if (io->err && io->out && !strcmp(io->err, io->out))
		return dup2(STDOUT_FILENO, STDERR_FILENO) < 0 ? -1 : 0;
	if (io->err && redirect(STDERR_FILENO, io->err, wr))
		return -1;
	return 0;
}

int wl_spawn_wait(char *const argv[], const struct wl_spawn_io *io)
{
	pid_t pid;
	int st;

	fflush(NULL); /* our buffered output before the child's */
	pid = fork();
	if (pid < 0) {
		st = -errno;
		perror("walklab: fork");
		return st;
	}
	if (!pid) {
		if (io && child_setup(io))
			_exit(126);
		execvp(argv[0], argv);
		perror("walklab: exec");
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			st = -errno;
			perror("walklab: waitpid");
			return st;
		}
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "walklab: %s killed by signal %d\n", argv[0],
		WTERMSIG(st));
	return 128 + WTERMSIG(st);
}
