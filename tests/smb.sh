#!/bin/sh
# tests/smb.sh - the SMB dissector and every MS17-010 / EternalBlue / DoublePulsar detection, on the
# generated captures and on the real ones (when ../shared is there): each alert kind is asserted on
# a capture that must fire it, with its evidence, and absent from the benign captures (only the
# SMBv1 policy alert 9002001 may appear there). Removing a detection fails this test.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
P="$top_srcdir/pcaps"
status=0
hostv() { echo "[.[] | select(.event_type == \"smb_host_verdict\" and .smb_host_verdict.host == \"$1\")][0].smb_host_verdict.verdict"; }
only_policy() { echo "[.[] | select(.event_type == \"alert\" and .alert.signature_id >= 9002000 and .alert.signature_id < 9003000 and .alert.signature_id != 9002001)] | length == 0"; }

# --- generated captures
for c in smb-ms17-vulnerable smb-ms17-bytewise smb-ms17-reorder; do
	f=$(ev "$P/$c.pcap")
	check "$c: probe 9002002 (PeekNamedPipe, IPC\$) from the scanner" \
		"$(alert 9002002)[0] | .smb.transaction.subcommand == \"TRANS_PEEK_NMPIPE\" and .smb.command == \"SMB1_COMMAND_TRANS\" and (.smb.share | test(\"IPC\"))" "$f"
	check "$c: vulnerable 9002003 from the server, status and scanned host" \
		"$(alert 9002003)[0] | .smb.verdict == \"vulnerable\" and .smb.status == \"STATUS_INSUFF_SERVER_RESOURCES\" and .smb.scanned_host == \"10.10.0.5\" and .src_ip == \"10.10.0.5\"" "$f"
	check "$c: host verdict vulnerable, ms17_010 verdict vulnerable" \
		"($(hostv 10.10.0.5) == \"vulnerable\") and ([.[] | select(.event_type == \"ms17_010\")][0].ms17_010.verdict == \"vulnerable\")" "$f"
done
f=$(ev "$P/smb-ms17-patched.pcap")
check "patched: 9002004 for ACCESS_DENIED and INVALID_HANDLE, never 9002003" \
	"($(alert 9002004) | map(.smb.status) | sort == [\"STATUS_ACCESS_DENIED\", \"STATUS_INVALID_HANDLE\"]) and ($(sids) | index(9002003) == null) and ($(alert 9002002) | length == 2)" "$f"
check "patched: host verdicts patched, scanner named" \
	"($(hostv 10.10.0.6) == \"patched\") and ($(hostv 10.10.0.7) == \"patched\") and ($(hostv 10.10.0.66) == \"scanner\")" "$f"
f=$(ev "$P/smb-doublepulsar.pcap")
check "doublepulsar: ping 9002020 to both hosts" \
	"$(alert 9002020) | length == 2 and all(.smb.doublepulsar.command == \"ping\" and .smb.mid == 65)" "$f"
check "doublepulsar: implant 9002021 only from the infected host, MID 65 -> 81, key's architecture" \
	"$(alert 9002021) | length == 1 and (.[0] | .src_ip == \"10.10.0.8\" and .smb.doublepulsar.request_mid == 65 and .smb.doublepulsar.reply_mid == 81 and .smb.doublepulsar.mid_delta == 16 and .smb.doublepulsar.architecture == \"x64\" and .smb.infected_host == \"10.10.0.8\")" "$f"
check "doublepulsar: exec 9002022 with its upload size" \
	"$(alert 9002022)[0].smb.doublepulsar | .command == \"exec\" and .data_count == 4096" "$f"
check "doublepulsar: infected host, clean host only probed" \
	"($(hostv 10.10.0.8) == \"infected\") and ($(hostv 10.10.0.9) == \"probed\")" "$f"
f=$(ev "$P/smb-eternalblue.pcap")
check "eternalblue: NT_TRANSACT oversized 9002011 with its total data count" \
	"$(alert 9002011)[0].smb.transaction | .command == \"SMB1_COMMAND_NT_TRANS\" and .total_data_count == 66512" "$f"
check "eternalblue: TRANS2_SECONDARY in an NT_TRANSACT 9002010" \
	"$(alert 9002010)[0].smb | .command == \"SMB1_COMMAND_TRANS2_SECONDARY\" and .transaction.command == \"SMB1_COMMAND_NT_TRANS\" and .target == \"10.10.0.10\"" "$f"
check "eternalblue: SMBv2 grooming 9002012 with the NetBIOS length" \
	"$(alert 9002012)[0].smb | .netbios_length == 69632 and .smb2_header.structure_size == 0" "$f"
check "eternalblue: host exploited" "$(hostv 10.10.0.10) == \"exploited\"" "$f"
f=$(ev "$P/smb-eternalromance.pcap")
check "eternalromance: WRITE_ANDX in an open transaction 9002030" \
	"$(alert 9002030)[0].smb | .command == \"SMB1_COMMAND_WRITE_ANDX\" and .mid == 4660 and .transaction.subcommand == \"TRANS_TRANSACT_NMPIPE\" and .write_andx.data_length == 256" "$f"
f=$(ev "$P/smb-eternalchampion.pcap")
check "eternalchampion: secondary racing a complete transaction 9002031" \
	"$(alert 9002031)[0].smb | .command == \"SMB1_COMMAND_TRANS_SECONDARY\" and .transaction.complete_in_primary == true" "$f"
f=$(ev "$P/smb-benign-smb1.pcap")
check "benign SMB1 with MID 81 and 65: only the SMBv1 policy alert" \
	"($(only_policy)) and ($(sids) | index(9002001) != null)" "$f"
f=$(ev "$P/smb-smb2-only.pcap")
check "SMB2 only: no alert, dialect 3.02 and the share in smb events" \
	"($(sids) | length == 0) and ([.[] | select(.event_type == \"smb\")] | length == 3 and .[2].smb.dialect == \"3.02\" and (.[2].smb.share | test(\"projects\")))" "$f"

# --- real captures
shared=$(shared_dir)
if [ -n "$shared" ]; then
	f=$(ev "$shared/eternalblue-success-win7.pcap")
	check "real eternalblue-success: EternalBlue x2, DoublePulsar MID 82 after the second round" \
		"($(alert 9002010) | length == 2) and ($(alert 9002021)[0].smb.doublepulsar | .reply_mid == 82 and .request_mid == 66) and ($(hostv 192.168.198.203) == \"infected\")" "$f"
	f=$(ev "$shared/eternalblue-metasploit-win7x64.pcap")
	check "real metasploit: EternalBlue, no DoublePulsar" \
		"($(sids) | (index(9002010) != null) and (index(9002020) == null) and (index(9002021) == null)) and ($(hostv 192.168.198.225) == \"exploited\")" "$f"
	f=$(ev "$shared/doublepulsar-ping-win7.pcap")
	check "real doublepulsar ping: implant answers MID 81, no EternalBlue" \
		"($(alert 9002021)[0].smb.doublepulsar | .request_mid == 65 and .reply_mid == 81) and ($(sids) | index(9002010) == null) and ($(hostv 192.168.198.203) == \"infected\")" "$f"
	f=$(ev "$shared/eternalromance-success-2008r2.pcap")
	check "real eternalromance: 9002030, no EternalBlue, no implant" \
		"$(sids) | (index(9002030) != null) and (index(9002010) == null) and (index(9002021) == null)" "$f"
	f=$(ev "$shared/eternalromance-doublepulsar-meterpreter.pcap")
	check "real romance + doublepulsar: 9002030, implant, exec" \
		"($(sids) | (index(9002030) != null) and (index(9002021) != null) and (index(9002022) != null)) and ($(hostv 172.23.33.10) == \"infected\")" "$f"
	f=$(ev "$shared/eternalchampion-malware.pcap")
	check "real eternalchampion: 9002031, no DoublePulsar" \
		"$(sids) | (index(9002031) != null) and (index(9002020) == null) and (index(9002021) == null)" "$f"
	f=$(ev "$shared/wannacry-worm-propagation.pcap")
	check "real wannacry: 6 probes, 5 vulnerable, 13 EternalBlue flows, 9 implant answers (MANIFEST)" \
		"($(alert 9002002) | length == 6) and ($(alert 9002003) | length == 5) and ($(alert 9002010) | length == 13) and ($(alert 9002021) | length == 9)" "$f"
	for b in benign-smb1-ntlm-dcerpc benign-smb1-nttrans-vlan benign-smb1-osx benign-smb1-trans2-querypathinfo \
		benign-smb2-fileshare benign-smb311 smbghost-smb311-compression-negotiate malformed-smb1-ossfuzz \
		malformed-smb1-midstream eternalblue-failed-patched-win7-noattacktraffic; do
		f=$(ev "$shared/$b.pcap")
		check "$b: no SMB alert but the SMBv1 policy one" "$(only_policy)" "$f"
	done
	f="$WORK/benign-smb1-nttrans-vlan.pcap.json"
	check "nttrans-vlan: the MID 81 trap is seen (smb events) and no implant verdict" \
		"([.[] | select(.event_type == \"smb\")] | length > 0) and ([.[] | select(.event_type == \"smb_host_verdict\" and .smb_host_verdict.verdict == \"infected\")] | length == 0)" "$f"
else
	echo "note: ../shared not found; real captures not checked"
fi
[ $status = 0 ] && echo "smb: all checks passed"
exit $status
