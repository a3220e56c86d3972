# btf_offset.awk - byte offset of STRUCT.MEMBER in `bpftool btf dump file F`
# (raw format), looking into anonymous struct/union members the way the
# compiler does.  Usage: awk -v s=task_struct -v m=tgid -f btf_offset.awk
# Prints the offset in bytes, or nothing when absent.
/^\[[0-9]+\] / {
	id = substr($1, 2, length($1) - 2)
	kind[id] = $2
	nm = $3; gsub("'", "", nm); name[id] = nm
	if ($2 == "STRUCT" && !(nm in byname))
		byname[nm] = id
	cur = id; nmem[id] = 0
	next
}
/^\t'/ && cur != "" {
	k = ++nmem[cur]
	mn = $1; gsub("'", "", mn); mname[cur, k] = mn
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "type_id") mtype[cur, k] = kv[2]
		if (kv[1] == "bits_offset") mbits[cur, k] = kv[2]
	}
}
function find(sid, member, base,    k, r, t) {
	for (k = 1; k <= nmem[sid]; k++)
		if (mname[sid, k] == member)
			return base + mbits[sid, k]
	for (k = 1; k <= nmem[sid]; k++) {
		if (mname[sid, k] != "(anon)")
			continue
		t = mtype[sid, k]
		if (kind[t] != "STRUCT" && kind[t] != "UNION")
			continue
		r = find(t, member, base + mbits[sid, k])
		if (r != -1)
			return r
	}
	return -1
}
END {
	if (!(s in byname))
		exit 1
	r = find(byname[s], m, 0)
	if (r == -1)
		exit 1
	print int(r / 8)
}
