ARG base_image
FROM ${base_image}
RUN echo extend-run
