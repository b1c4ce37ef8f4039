# The S3-compatible store beside a genie group: versitygw, statically
# linked, FROM scratch like genie's own image. It keeps buckets as
# directories under /data; the bucket "genie" exists from the start.
# `make image` stages the binary and builds it.
FROM scratch
COPY versitygw /bin/versitygw
WORKDIR /data/genie
WORKDIR /data
ENV VGW_PORT=:7070
EXPOSE 7070
VOLUME /data
ENTRYPOINT ["/bin/versitygw"]
CMD ["posix", "/data"]
