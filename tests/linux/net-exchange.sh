# Sourced by the network init scripts: exchange PEER LABEL pings PEER until it answers ($tries
# times) and prints "ping LABEL: yes|no" and three pings; then, by $role, sends 20000 lines over
# TCP port 5000 (send) or receives and counts them (recv), printing the byte count and md5.
# The receiver listens before anything can arrive. Its nc reads a pipe that stays open: busybox
# nc shuts its side down at the end of its input, and the sender's nc would then stop sending.
exchange() {
  [ "$role" = recv ] && { sleep 999 | nc -l -p 5000 > /tmp/data & }
  ok=no
  for i in $(seq 1 $tries); do
    if ping -c 1 -W 1 $1 > /dev/null 2>&1; then ok=yes; break; fi
    sleep 1
  done
  echo "ping $2: $ok"
  ping -c 3 -i 0.2 -W 2 $1 | grep -E "bytes from|packets" | sed 's/time=.*//'
  if [ "$role" = send ]; then
    # Until the receiver listens, then until the connection is closed both ways (nothing to port
    # 5000, 0x1388, in /proc/net/tcp but TIME_WAIT, 06): the receiver has acknowledged every byte.
    sent=no
    for i in $(seq 1 $tries); do seq 1 20000 | nc $1 5000 2>/dev/null && { sent=yes; break; }; sleep 1; done
    for i in $(seq 1 $tries); do grep -q -E ":1388 0[^6] " /proc/net/tcp || break; sleep 1; done
    [ $sent = yes ] && echo "sent $(seq 1 20000 | wc -c) bytes, md5 $(seq 1 20000 | md5sum | cut -d' ' -f1)"
  elif [ "$role" = recv ]; then
    for i in $(seq 1 $tries); do [ "$(wc -c < /tmp/data)" -ge 108894 ] && break; sleep 1; done
    echo "received $(wc -c < /tmp/data) bytes, md5 $(md5sum < /tmp/data | cut -d' ' -f1)"
  fi
}
