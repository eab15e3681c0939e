#!/bin/sh
# Load the directory once (an empty database), then run slapd in the foreground.
set -eu
mkdir -p /run/slapd
if [ ! -f /var/lib/ldap/data.mdb ]; then
  for ldif in /etc/ldap/stoney/ldif/*.ldif; do
    echo "loading $ldif"
    slapadd -q -f /etc/ldap/slapd.conf -l "$ldif"
  done
fi
exec slapd -d 0 -f /etc/ldap/slapd.conf -h "ldap:///"
