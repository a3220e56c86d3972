#!/usr/bin/env bats
# The shell completions as a person meets them: typed into an interactive
# bash and zsh in a pseudo-terminal (zsh's zpty drives both), and asked of
# fish.  File names for --output and --btf hold spaces; a directory is
# completed with "/" and no space, so the name can go on.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	D="$BATS_TEST_TMPDIR"
	mkdir -p "$D/w/my dir"
	touch "$D/w/my dir/f 1" "$D/w/other file"
	# quark is a function that prints its arguments, one "<arg>" each.
	cat >"$D/bashrc" <<-EOF
	PS1='READY> '
	source "$TOP/completions/quark.bash"
	quark() { printf '<quark>\n'; printf '<%s>\n' "\$@"; }
	EOF
	cat >"$D/.zshrc" <<-EOF
	PS1='READY> '
	fpath=("$TOP/completions" \$fpath)
	autoload -U compinit && compinit -u -D
	quark() { printf '<quark>\n'; printf '<%s>\n' "\$@" }
	EOF
	# drive.zsh SHELL LINE...: type each LINE (tabs and all), then
	# "END" and Enter; print what the quark function printed.
	cat >"$D/drive.zsh" <<-'EOF'
	zmodload zsh/zpty
	rc=$1 sh=$2
	shift 2
	case $sh in
	bash) zpty -b q "HOME=$rc bash --rcfile $rc/bashrc -i" ;;
	zsh) zpty -b q "ZDOTDIR=$rc zsh -i" ;;
	esac
	for l in "$@"; do
		zpty -r q x '*READY> '
		zpty -w -n q "$l"
		sleep 0.2
		zpty -w -n q $'END\r'
		zpty -r q x '*END>*'
		print -r -- "${${x//$'\r'/}##*<quark>}" | grep -a '^<'
	done
	zpty -d q
	EOF
}

# typed SHELL LINE...: the arguments quark got, one "<arg>" a line.
typed() {
	local sh=$1
	shift
	(cd "$D/w" && timeout 30 zsh -f "$D/drive.zsh" "$D" "$sh" "$@")
}

# The same expectations for bash and zsh.
interactive() {
	run typed "$1" $'quark wat\t --ho\t 5' $'quark watch --output my\t' \
	    $'quark btf --btf oth\t' $'quark watch --output my\tf\t'
	assert_success
	# Commands and options complete (the completion is the one in use).
	assert_line --index 0 '<watch>'
	assert_line --index 1 '<--hold>'
	assert_line --index 2 '<5END>'
	# A directory: "/" and no space, whatever spaces the name holds.
	assert_line --index 4 '<--output>'
	assert_line --index 5 '<my dir/END>'
	# A file: the whole name, then a space.
	assert_line --index 7 '<--btf>'
	assert_line --index 8 '<other file>'
	assert_line --index 9 '<END>'
	# Into the directory and on to a file in it.
	assert_line --index 11 '<--output>'
	assert_line --index 12 '<my dir/f 1>'
	assert_line --index 13 '<END>'
}

@test "completions: bash completes commands, options and --output/--btf names with spaces" {
	interactive bash
}

@test "completions: zsh completes commands, options and --output/--btf names with spaces" {
	interactive zsh
}

@test "completions: fish completes --output/--btf names with spaces, a directory with /" {
	cd "$D/w"
	run fish -c "source '$TOP/completions/quark.fish'
		complete -C 'quark watch --output my'; echo -
		complete -C 'quark watch --output my\\ dir/'; echo -
		complete -C 'quark btf --btf oth'"
	assert_success
	assert_output "$(printf '%s\n' 'my dir/' - 'my dir/f 1' - 'other file')"
}
