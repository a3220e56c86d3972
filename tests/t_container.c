/*
 * t_container.c - container detection on sample cgroup paths.
 */
#include <string.h>

#include "quark_int.h"
#include "test.h"

#define H1 "4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define H2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char	*path;
	const char	*id;		/* NULL: not a container */
	const char	*runtime;
} cases[] = {
	/* docker: cgroupfs driver (v1 and v2) and systemd driver */
	{ "/docker/" H1, H1, "docker" },
	{ "/system.slice/docker-" H1 ".scope", H1, "docker" },
	{ "/system.slice/docker-" H1 ".scope/init.scope", H1, "docker" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-"
	  H1 ".scope", H1, "docker" },
	/* docker in docker: the innermost */
	{ "/docker/" H1 "/docker/" H2, H2, "docker" },
	/* containerd through the CRI, systemd and cgroupfs drivers */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
	  "1c2d3e4f_5a6b_7c8d_9e0f_1a2b3c4d5e6f.slice/cri-containerd-" H1
	  ".scope", H1, "containerd" },
	{ "/kubepods/besteffort/pod1c2d3e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f/" H2,
	  H2, "containerd" },
	{ "/kubepods/burstable/podx/" H1, H1, "containerd" },
	/* cri-o */
	{ "/kubepods.slice/kubepods-burstable.slice/crio-" H1 ".scope", H1,
	  "cri-o" },
	{ "/kubepods.slice/kubepods-pod1.slice/crio-conmon-" H2 ".scope", H2,
	  "cri-o" },
	{ "/kubepods/besteffort/pod1/crio-" H1, H1, "cri-o" },
	/* podman */
	{ "/machine.slice/libpod-" H1 ".scope", H1, "podman" },
	{ "/machine.slice/libpod-conmon-" H1 ".scope", H1, "podman" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
	  H2 ".scope/container", H2, "podman" },
	{ "/libpod_parent/libpod-" H1, H1, "podman" },
	/* systemd-nspawn */
	{ "/machine.slice/machine-debian.scope", "debian", "systemd-nspawn" },
	{ "/machine.slice/machine-my\\x2dbox.scope/payload", "my-box",
	  "systemd-nspawn" },
	{ "/machine.slice/machine-a\\x2db\\x2dc.scope", "a-b-c",
	  "systemd-nspawn" },
	/* not containers */
	{ "/user.slice/user-0.slice/session-1.scope", NULL, NULL },
	{ "/init.scope", NULL, NULL },
	{ "/", NULL, NULL },
	{ "", NULL, NULL },
	{ "/system.slice/ssh.service", NULL, NULL },
	{ "/system.slice/docker.service", NULL, NULL },
	{ "/system.slice/docker-" H1 "0.scope", NULL, NULL },	/* 65 hex */
	{ "/system.slice/docker-" "4A3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B"
	  "4C3D2E1F0A9B8C7D6E5F4A3B.scope", NULL, NULL },	/* upper case */
	{ "/system.slice/docker-" H1 ".service", NULL, NULL },
	{ "/system.slice/" H1, NULL, NULL },	/* bare id, unknown parent */
	{ "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", NULL, NULL },
	{ "/machine.slice/machine-.scope", NULL, NULL },
	{ "/machine.slice/machine-a\\x2fb.scope", NULL, NULL },	/* '/' */
	{ "/machine.slice/machine-"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".scope", NULL, NULL },				/* 65 chars */
};

int
main(void)
{
	struct quark_container	c;
	size_t			i;
	int			r;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].path);
		memset(&c, 'x', sizeof(c));
		r = quark_container_parse(cases[i].path, &c);
		if (cases[i].id == NULL) {
			T_EQ_INT(r, 0);
			T_EQ_STR(c.id, "");
			T_CHECK(c.runtime == NULL);
			continue;
		}
		T_EQ_INT(r, 1);
		T_EQ_STR(c.id, cases[i].id);
		T_EQ_STR(c.runtime, cases[i].runtime);
	}
	T_CASE("null");
	T_EQ_INT(quark_container_parse(NULL, &c), 0);
	return (t_done());
}
