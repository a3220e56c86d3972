/*
 * t_container.c - container detection on sample cgroup paths.
 */
#include <string.h>

#include "quark_int.h"
#include "test.h"

#define H1 "4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define H2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Fargate's container ids: the task's 32 hex digits, '-', digits. */
#define FG "8d3bb3b5d4c34b7a9e2f1a0b9c8d7e6f-2531612879"

/*
 * One row per layout and hierarchy: a /proc/PID/cgroup line (a v2 line
 * "0::PATH", a v1 controller's "N:CONTROLLERS:PATH", the named systemd
 * hierarchy's "N:name=systemd:PATH") -> the container id and runtime.
 * The eBPF backend's paths go through the same table (its v2 path and
 * one v1 controller's path).
 */
static const struct {
	const char	*line;
	const char	*id;		/* NULL: not a container */
	const char	*runtime;
} cases[] = {
	/* docker: cgroupfs driver (v2; v1 controllers) and systemd driver */
	{ "0::/docker/" H1, H1, "docker" },
	{ "4:memory:/docker/" H1, H1, "docker" },
	{ "7:cpu,cpuacct:/docker/" H1, H1, "docker" },
	{ "1:name=systemd:/docker/" H1, H1, "docker" },
	{ "0::/system.slice/docker-" H1 ".scope", H1, "docker" },
	{ "5:pids:/system.slice/docker-" H1 ".scope", H1, "docker" },
	{ "0::/system.slice/docker-" H1 ".scope/init.scope", H1, "docker" },
	{ "0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-"
	  H1 ".scope", H1, "docker" },
	/* docker in docker: the innermost */
	{ "0::/docker/" H1 "/docker/" H2, H2, "docker" },
	{ "9:devices:/docker/" H1 "/docker/" H2, H2, "docker" },
	/* containerd through the CRI: systemd driver, every QoS class */
	{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
	  "1c2d3e4f_5a6b_7c8d_9e0f_1a2b3c4d5e6f.slice/cri-containerd-" H1
	  ".scope", H1, "containerd" },
	{ "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  "1c2d.slice/cri-containerd-" H1 ".scope", H1, "containerd" },
	{ "0::/kubepods.slice/kubepods-pod1c2d.slice/cri-containerd-" H2
	  ".scope", H2, "containerd" },				/* guaranteed */
	{ "3:memory:/kubepods.slice/kubepods-pod1c2d.slice/cri-containerd-"
	  H2 ".scope", H2, "containerd" },
	/* containerd, cgroupfs driver, every QoS class (guaranteed has none) */
	{ "0::/kubepods/besteffort/pod1c2d3e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f/" H2,
	  H2, "containerd" },
	{ "0::/kubepods/burstable/podx/" H1, H1, "containerd" },
	{ "0::/kubepods/pod1c2d3e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f/" H1, H1,
	  "containerd" },
	{ "11:pids:/kubepods/burstable/podx/" H1, H1, "containerd" },
	/* kind: a node is a docker container, its pods' containers inside */
	{ "0::/docker/" H1 "/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-podx"
	  ".slice/cri-containerd-" H2 ".scope", H2, "containerd" },
	{ "0::/docker/" H1 "/kubepods/burstable/podx/" H2, H2, "containerd" },
	{ "0::/docker/" H1 "/kubelet.slice", H1, "docker" },
	/* cri-o: systemd driver (container and conmon), cgroupfs */
	{ "0::/kubepods.slice/kubepods-burstable.slice/crio-" H1 ".scope", H1,
	  "cri-o" },
	{ "0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-" H2 ".scope",
	  H2, "cri-o" },
	{ "0::/kubepods/besteffort/pod1/crio-" H1, H1, "cri-o" },
	{ "6:freezer:/kubepods/besteffort/pod1/crio-" H1, H1, "cri-o" },
	/* podman: rootful, conmon, rootless, cgroupfs */
	{ "0::/machine.slice/libpod-" H1 ".scope", H1, "podman" },
	{ "0::/machine.slice/libpod-conmon-" H1 ".scope", H1, "podman" },
	{ "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
	  H2 ".scope/container", H2, "podman" },
	{ "0::/libpod_parent/libpod-" H1, H1, "podman" },
	{ "2:cpuset:/libpod_parent/libpod-" H1, H1, "podman" },
	/* systemd-nspawn */
	{ "0::/machine.slice/machine-debian.scope", "debian", "systemd-nspawn" },
	{ "0::/machine.slice/machine-my\\x2dbox.scope/payload", "my-box",
	  "systemd-nspawn" },
	{ "0::/machine.slice/machine-a\\x2db\\x2dc.scope", "a-b-c",
	  "systemd-nspawn" },
	{ "1:name=systemd:/machine.slice/machine-debian.scope", "debian",
	  "systemd-nspawn" },
	/* Amazon ECS: EC2 (docker ids), Fargate, and AL2023's systemd driver */
	{ "0::/ecs/5a1b2c3d4e5f40718293a4b5c6d7e8f9/" H1, H1, "ecs" },
	{ "4:memory:/ecs/5a1b2c3d4e5f40718293a4b5c6d7e8f9/" H1, H1, "ecs" },
	{ "0::/ecs/5a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9/" H2, H2, "ecs" },
	{ "0::/ecs/8d3bb3b5d4c34b7a9e2f1a0b9c8d7e6f/" FG, FG, "ecs" },
	{ "0::/ecstasks.slice/ecstasks-5a1b2c3d4e5f40718293a4b5c6d7e8f9.slice/"
	  "docker-" H1 ".scope", H1, "docker" },
	/* LXC: 4.0 and later (and LXD), and the v1 layout before it */
	{ "0::/lxc.payload.web1", "web1", "lxc" },
	{ "0::/lxc.payload.web1/system.slice/nginx.service", "web1", "lxc" },
	{ "8:memory:/lxc/web1", "web1", "lxc" },
	{ "1:name=systemd:/lxc/web1/init.scope", "web1", "lxc" },
	/* not containers */
	{ "0::/lxc.monitor.web1", NULL, NULL },
	{ "0::/user.slice/user-0.slice/session-1.scope", NULL, NULL },
	{ "0::/init.scope", NULL, NULL },
	{ "0::/", NULL, NULL },
	{ "4:memory:/", NULL, NULL },
	{ "0::", NULL, NULL },
	{ "", NULL, NULL },
	{ "garbage", NULL, NULL },
	{ "0::/system.slice/ssh.service", NULL, NULL },
	{ "0::/system.slice/docker.service", NULL, NULL },
	{ "0::/system.slice/docker-" H1 "0.scope", NULL, NULL },	/* 65 hex */
	{ "0::/system.slice/docker-" "4A3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B"
	  "4C3D2E1F0A9B8C7D6E5F4A3B.scope", NULL, NULL },	/* upper case */
	{ "0::/system.slice/docker-" H1 ".service", NULL, NULL },
	{ "0::/system.slice/" H1, NULL, NULL },	/* bare id, unknown parent */
	{ "0::/" H1, NULL, NULL },
	{ "0::/ecs/" H1, NULL, NULL },		/* no task level */
	{ "0::/ecs/task/" H1 "x", NULL, NULL },
	{ "0::/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", NULL, NULL },
	{ "0::/machine.slice/machine-.scope", NULL, NULL },
	{ "0::/machine.slice/machine-a\\x2fb.scope", NULL, NULL },	/* '/' */
	{ "0::/machine.slice/machine-"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".scope", NULL, NULL },				/* 65 chars */
};

/*
 * Whole files: on hybrid hosts the v2 line says nothing and a v1 line
 * names the container; the v2 line wins when both do.
 */
static const struct {
	const char	*name;
	const char	*file;
	const char	*id;
	const char	*runtime;
} files[] = {
	{ "hybrid, docker cgroupfs: only the v1 lines",
	  "12:pids:/docker/" H1 "\n4:memory:/docker/" H1 "\n"
	  "1:name=systemd:/docker/" H1 "\n0::/system.slice/containerd.service\n",
	  H1, "docker" },
	{ "hybrid, one v1 controller only",
	  "9:name=systemd:/\n8:pids:/docker/" H2 "\n4:memory:/process_api/x\n"
	  "0::/\n", H2, "docker" },
	{ "v2 first",
	  "4:memory:/docker/" H1 "\n0::/system.slice/docker-" H2 ".scope\n",
	  H2, "docker" },
	{ "v1 only host (no 0:: line)",
	  "3:cpu,cpuacct:/lxc/web1\n2:memory:/lxc/web1\n", "web1", "lxc" },
	{ "no final newline", "0::/docker/" H1, H1, "docker" },
	{ "none", "4:memory:/user.slice\n0::/user.slice/user-0.slice\n",
	  NULL, NULL },
	{ "empty", "", NULL, NULL },
};

static void
check(int r, const struct quark_container *c, const char *id,
    const char *runtime)
{
	if (id == NULL) {
		T_EQ_INT(r, 0);
		T_EQ_STR(c->id, "");
		T_CHECK(c->runtime == NULL);
		return;
	}
	T_EQ_INT(r, 1);
	T_EQ_STR(c->id, id);
	T_EQ_STR(c->runtime, runtime);
}

int
main(void)
{
	struct quark_container	c;
	const char		*path;
	size_t			i;
	int			r;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].line);
		memset(&c, 'x', sizeof(c));
		r = container_from_proc(cases[i].line, strlen(cases[i].line),
		    &c);
		check(r, &c, cases[i].id, cases[i].runtime);
		/* The path alone, as the kernel's paths are parsed. */
		if ((path = strchr(cases[i].line, ':')) == NULL ||
		    (path = strchr(path + 1, ':')) == NULL)
			continue;
		memset(&c, 'x', sizeof(c));
		r = quark_container_parse(path + 1, &c);
		check(r, &c, cases[i].id, cases[i].runtime);
	}
	for (i = 0; i < nitems(files); i++) {
		T_CASE(files[i].name);
		memset(&c, 'x', sizeof(c));
		r = container_from_proc(files[i].file, strlen(files[i].file),
		    &c);
		check(r, &c, files[i].id, files[i].runtime);
	}
	T_CASE("kernel paths: v2, then v1");
	T_EQ_INT(container_from_paths("/", "/docker/" H1, &c), 1);
	check(1, &c, H1, "docker");
	T_EQ_INT(container_from_paths("/system.slice/docker-" H2 ".scope",
	    "/docker/" H1, &c), 1);
	check(1, &c, H2, "docker");
	T_EQ_INT(container_from_paths(NULL, NULL, &c), 0);
	check(0, &c, NULL, NULL);
	T_CASE("null");
	T_EQ_INT(quark_container_parse(NULL, &c), 0);
	return (t_done());
}
