ARG base_image
FROM ${base_image}

ARG build_id=0
# install the tool
RUN echo installing \
  tool
USER 1000
