#!/usr/bin/perl
# tools/mkmmdb.pl - write kagami's test geolocation databases (MaxMind DB format 2.0) with known
# networks, using Debian's libmaxmind-db-writer-perl. Deterministic: fixed build epoch, and
# the script re-runs itself with Perl's hash order fixed (PERL_HASH_SEED=0).
#
#   tools/mkmmdb.pl DIR     writes DIR/geoip/test-country.mmdb  (GeoLite2-Country layout)
#                                  DIR/geoip/test-asn.mmdb      (GeoLite2-ASN layout)
#                                  DIR/test-loc-country.mmdb    (ip-location-db layout: country_code)
#
# DIR/geoip/ is the directory the tests use as the default database directory
# (KAGAMI_GEOIP_DIR), so every test run geolocates with these files and never with a real,
# changing database. The networks are the ones the generated captures (pcaps/obs-*.pcap) use;
# docs/hacking.md lists them. Documentation and private ranges are never looked up by kagami,
# so they cannot be used here.
use strict;
use warnings;

BEGIN {
	if (!defined $ENV{PERL_HASH_SEED} || $ENV{PERL_HASH_SEED} ne '0') {
		$ENV{PERL_HASH_SEED} = '0';
		$ENV{PERL_PERTURB_KEYS} = '0';
		exec($^X, $0, @ARGV) or die "mkmmdb: cannot re-run perl: $!\n";
	}
}

use File::Path qw(make_path);
use MaxMind::DB::Writer::Tree;

my $dir = shift @ARGV or die "usage: mkmmdb.pl DIR\n";
make_path("$dir/geoip");

my $EPOCH = 1700000000; # 2023-11-14: fixed, so the files are byte-for-byte reproducible

sub country {
	my ($iso, $continent) = @_;
	return {
		continent => { code => $continent },
		country => { iso_code => $iso, names => { en => $iso } },
		registered_country => { iso_code => $iso },
	};
}

# network => record, GeoLite2-Country layout
my @countries = (
	[ '1.1.0.0/16',    country('JP', 'AS') ],
	[ '2.2.0.0/16',    country('FR', 'EU') ],
	[ '3.3.0.0/16',    country('US', 'NA') ],
	[ '5.5.0.0/16',    country('DE', 'EU') ],
	[ '6.6.0.0/16',    country('BR', 'SA') ],
	# registered country only (as for some anycast networks in GeoLite2)
	[ '7.7.0.0/16',    { registered_country => { iso_code => 'NL' } } ],
	[ '2001:200::/23', country('JP', 'AS') ],
	[ '2a01:100::/32', country('DE', 'EU') ],
	[ '2600:1000::/28', country('US', 'NA') ],
);

# GeoLite2-ASN layout; AS numbers from the documentation range (RFC 5398)
my @asns = (
	[ '1.1.0.0/16',     64496, 'Kagami Test Net JP' ],
	[ '2.2.0.0/16',     64497, 'Kagami Test Net FR' ],
	[ '3.3.0.0/16',     64498, 'Kagami Test Net US' ],
	[ '2001:200::/23',  64499, 'Kagami Test Net JP v6' ],
	[ '2600:1000::/28', 64500, 'Kagami Test Net US v6' ],
);

# ip-location-db layout: only country_code. 2.2.0.0/16 differs from the country database on
# purpose (GB, not FR) so a test can tell which database answered.
my @loc = (
	[ '1.1.0.0/16',    'JP' ],
	[ '2.2.0.0/16',    'GB' ],
	[ '4.4.0.0/16',    'KR' ],
	[ '2001:200::/23', 'JP' ],
	[ '2400:cb00::/32', 'CN' ],
);

sub tree {
	my ($type, $desc, $types) = @_;
	my $t = MaxMind::DB::Writer::Tree->new(
		ip_version            => 6,
		record_size           => 24,
		database_type         => $type,
		languages             => ['en'],
		description           => { en => $desc },
		map_key_type_callback => sub { $types->{ $_[0] } // 'map' },
		alias_ipv6_to_ipv4    => 1,
	);
	$t->_set_build_epoch($EPOCH);
	return $t;
}

sub save {
	my ($t, $path) = @_;
	open(my $fh, '>:raw', "$path.tmp") or die "mkmmdb: $path.tmp: $!\n";
	$t->write_tree($fh);
	close($fh) or die "mkmmdb: $path.tmp: $!\n";
	rename("$path.tmp", $path) or die "mkmmdb: $path: $!\n";
}

my $ct = tree('Kagami-Test-Country', 'kagami test country database (GeoLite2 layout)',
	{ continent => 'map', country => 'map', registered_country => 'map', names => 'map',
	  code => 'utf8_string', iso_code => 'utf8_string', en => 'utf8_string' });
$ct->insert_network($_->[0], $_->[1]) for @countries;
save($ct, "$dir/geoip/test-country.mmdb");

my $at = tree('Kagami-Test-ASN', 'kagami test ASN database (GeoLite2 layout)',
	{ autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string' });
$at->insert_network($_->[0], { autonomous_system_number => $_->[1], autonomous_system_organization => $_->[2] })
	for @asns;
save($at, "$dir/geoip/test-asn.mmdb");

my $lt = tree('Kagami-Test-ip-location-db', 'kagami test database (ip-location-db layout)',
	{ country_code => 'utf8_string' });
$lt->insert_network($_->[0], { country_code => $_->[1] }) for @loc;
save($lt, "$dir/test-loc-country.mmdb");
