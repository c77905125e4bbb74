"""Printed documents (PDF, A4, the CJK font embedded): the notice for the notice board, the
door-knocking list, a vote's paper ballots and its result notice. Each module draws one; the
data comes from services/notice_documents and services/vote_documents."""
