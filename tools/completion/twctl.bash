# bash completion for twctl(8)                            -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0
#
# Options, commands, `stats reset`, knob names (and the values of knobs
# that take names), network namespace names from /run/netns (paths, for a
# word with a /), and files for -b. Knobs come from the tool's own --help, so new knobs complete without
# changes here.

# shellcheck disable=SC2207	# COMPREPLY=($(compgen ...)) is the idiom

_twctl_netns_dir=/run/netns

_twctl_netns()
{
	local f
	for f in "$_twctl_netns_dir"/*; do
		[ -e "$f" ] && printf '%s\n' "${f##*/}"
	done
}

# "NAME SYNTAX" per knob, from the "Knobs" section of `twctl --help`.
_twctl_knobs()
{
	local tool=$1
	if command -v "$tool" >/dev/null 2>&1; then
		"$tool" --help 2>/dev/null | awk '
			/^Knobs/ { k = 1; next }
			/^$/ { k = 0 }
			k && /^  [^ ]/ { print $1, $2 }'
	else
		echo "msl TIME"
	fi
}

_twctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i=1 cmd='' cmdpos=0 knobs line used n w
	COMPREPLY=()

	# The command is the first word that is neither an option nor the
	# argument of -n or -b. Bash splits "--netns=NAME" into three words.
	while [ "$i" -lt "$COMP_CWORD" ]; do
		case ${COMP_WORDS[i]} in
		-n | -netns | -b | -batch) i=$((i + 1)) ;;
		--netns | --batch)
			i=$((i + 1))
			[ "${COMP_WORDS[i]}" = "=" ] && i=$((i + 1)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]} cmdpos=$i; break ;;
		esac
		i=$((i + 1))
	done

	if [ -z "$cmd" ]; then
		if [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
			case ${COMP_WORDS[COMP_CWORD - 2]} in
			--netns | --batch) prev=${COMP_WORDS[COMP_CWORD - 2]} ;;
			esac
		fi
		case $prev in
		-n | --netns | -netns)
			[ "$cur" = "=" ] && cur=''
			# a name, or a path (anything with a /)
			if [[ $cur == */* ]]; then
				COMPREPLY=($(compgen -f -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$(_twctl_netns)" -- "$cur"))
			fi
			return ;;
		-b | --batch | -batch)
			[ "$cur" = "=" ] && cur=''
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		esac
		case $cur in
		-*)
			COMPREPLY=($(compgen -W "-n --netns -j --json -p --pretty -b --batch -f --force -V --version -h --help" -- "$cur"))
			;;
		*)
			COMPREPLY=($(compgen -W "show set stats monitor metrics showconf help" -- "$cur"))
			;;
		esac
		return
	fi

	n=$((COMP_CWORD - cmdpos))
	case $cmd in
	set)
		knobs=$(_twctl_knobs "${COMP_WORDS[0]}")
		if [ $((n % 2)) -eq 1 ]; then
			# A knob not given yet.
			used=" "
			for ((i = cmdpos + 1; i < COMP_CWORD; i += 2)); do
				used+="${COMP_WORDS[i]} "
			done
			w=
			while read -r line; do
				[[ $used == *" ${line%% *} "* ]] || w+="${line%% *} "
			done <<<"$knobs"
			COMPREPLY=($(compgen -W "$w" -- "$cur"))
		else
			# The value of the knob before: names when it takes names.
			while read -r line; do
				if [ "${line%% *}" = "$prev" ] && [[ ${line#* } == *"|"* ]]; then
					w=${line#* }
					COMPREPLY=($(compgen -W "${w//|/ }" -- "$cur"))
				fi
			done <<<"$knobs"
		fi
		;;
	stats)
		[ "$n" -eq 1 ] && COMPREPLY=($(compgen -W "reset" -- "$cur"))
		;;
	metrics)
		[ "$n" -eq 1 ] && COMPREPLY=($(compgen -W "all" -- "$cur"))
		;;
	esac
}

complete -F _twctl twctl
